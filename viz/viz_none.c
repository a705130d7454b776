/* tcpsim built without SDL2: the visualizer says so. */
#include <stdio.h>

#include "viz.h"

int viz_main(const struct recording *r, const struct world_desc *w, const struct viz_opts *o)
{
    (void)r;
    (void)w;
    (void)o;
    fputs("tcpsim viz: this build has no SDL2 visualizer (configure with -Dviz=enabled)\n", stderr);
    return 3;
}
