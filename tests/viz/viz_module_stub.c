/* Stand-ins for a visualizer module that tcpsim must refuse: built once
 * with the entry answering an interface version no tcpsim has, once with
 * no entry at all. */
#include "viz/viz_module.h"

#ifdef STUB_WITH_ENTRY
static int stub_run(const struct recording *r, const struct world_desc *w, const struct viz_opts *o)
{
    return 0;
}

const struct viz_module *tcpsim_viz_module(void)
{
    static const struct viz_module module = {
        .abi = VIZ_MODULE_ABI + 1000,
        .sizeof_recording = sizeof(struct recording),
        .sizeof_world = sizeof(struct world_desc),
        .sizeof_opts = sizeof(struct viz_opts),
        .run = stub_run,
    };
    return &module;
}
#else
int tcpsim_viz_stub_without_entry(void);
int tcpsim_viz_stub_without_entry(void)
{
    return 0;
}
#endif
