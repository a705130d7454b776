/* Drawing one frame of the visualizer with an SDL renderer. */
#ifndef VIZ_DRAW_H
#define VIZ_DRAW_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "viz.h"
#include "viz_scene.h"

struct viz_ctx {
    const struct recording *rec;
    const struct world_desc *world;
    SDL_Renderer *ren;
    TTF_Font *font, *small;
    bool ko;
    bool help;
    bool playing;
    int w, h;
    sim_time t, t_end;
    double speed;
    int selected_host; /* -1 none */
    struct scene scene;
};

void viz_draw(struct viz_ctx *c);

#endif
