/* The SDL2 visualizer of a recorded run: a window, or headless images.
 * The executable only loads it (viz_module.h). */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/time.h"
#include "recording.h"
#include "world.h"

struct viz_opts {
    const char *lang; /* "en" (default) or "ko" */
    const char *png;  /* write one picture at `at` and return */
    sim_time at;
    const char *frames_dir; /* write frame%05u.png at `fps` for the whole run */
    uint32_t fps;
    bool autoplay;
    bool exit_at_end;
    const char *screenshot; /* window mode: the last picture shown, as PNG, on exit */
    double speed;           /* simulated seconds per wall second; 0 = default (0.01) */
    uint32_t width, height; /* 0 = 1280x800 */
    bool click;             /* --png: a click at (click_x, click_y) before drawing */
    int click_x, click_y;
};

/* Returns a process exit code: 0 ok, 3 when the visualizer module cannot be
 * loaded or SDL, the fonts or a file failed.  With SDL2 (viz_enabled) this
 * is viz_load.c, which opens the module tcpsim-viz-sdl.so (viz_module.h) and
 * runs it; without, viz_none.c says so and returns 3. */
int viz_main(const struct recording *r, const struct world_desc *w, const struct viz_opts *o);

#endif
