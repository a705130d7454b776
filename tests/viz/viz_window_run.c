/* Runs the visualizer window on the fixture with --autoplay --exit-at-end;
 * used under xvfb-run. */
#include "viz/viz_module.h"
#include "viz_fixture.h"

int main(void)
{
    struct recording rec;
    recording_init(&rec);
    fx_handshake(&rec);
    recording_freeze(&rec);
    struct viz_opts o = {.autoplay = true, .exit_at_end = true, .speed = 0.2};
    int rc = viz_sdl_run(&rec, &fx_world, &o);
    recording_destroy(&rec);
    return rc;
}
