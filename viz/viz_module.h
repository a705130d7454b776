/* The loadable SDL2 visualizer: what the tcpsim executable and the module
 * tcpsim-viz-sdl.so agree on.  The executable links no SDL, SDL_ttf or
 * libpng (about sixty shared libraries with their dependencies), so run,
 * check and validate start small and fast; `tcpsim viz` opens the module
 * with dlopen when it needs the window or PNG pictures. */
#ifndef VIZ_VIZ_MODULE_H
#define VIZ_VIZ_MODULE_H

#include <stdint.h>

#include "viz.h"

/* Bumped whenever struct viz_module or the meaning of its run function
 * changes.  The sizes below catch the commoner mistake of a module built
 * from other headers than the executable (recording.h, world.h, viz.h). */
#define VIZ_MODULE_ABI 1

/* The one symbol the module exports; the loader calls it and checks the
 * answer before anything else. */
#define VIZ_MODULE_ENTRY "tcpsim_viz_module"

struct viz_module {
    uint32_t abi;              /* VIZ_MODULE_ABI of the module's build */
    uint32_t sizeof_recording; /* sizeof(struct recording) there */
    uint32_t sizeof_world;     /* sizeof(struct world_desc) */
    uint32_t sizeof_opts;      /* sizeof(struct viz_opts) */
    /* As viz_main: an exit code, 0 or 3. */
    int (*run)(const struct recording *r, const struct world_desc *w, const struct viz_opts *o);
};

typedef const struct viz_module *(*viz_module_entry_fn)(void);

/* The module's entry (VIZ_MODULE_ENTRY). */
const struct viz_module *tcpsim_viz_module(void);

/* The visualizer itself (viz_sdl.c): the window, or headless pictures.
 * The module's run; the SDL tests call it directly. */
int viz_sdl_run(const struct recording *r, const struct world_desc *w, const struct viz_opts *o);

#endif
