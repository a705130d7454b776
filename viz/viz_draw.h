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
    int selected_host;        /* -1 none */
    uint32_t selected_packet; /* its tx event index, or REC_NONE */
    struct scene scene;
};

void viz_draw(struct viz_ctx *c);

/* The caption drawn beside a link (name, delay, rate, loss), in c's language. */
void viz_link_caption(const struct viz_ctx *c, const struct world_link *l, char *buf, size_t n);
/* The legend's name for a kind of packet, in c's language. */
const char *viz_kind_name(const struct viz_ctx *c, enum scene_kind k);

/* Where scene position (x, y) in [0,1] is drawn, in pixels.  Drawing and
 * clicking both go through this, so they cannot disagree. */
void viz_topo_point(const struct viz_ctx *c, double x, double y, int *px, int *py);
/* Where scene packet i (of c->scene) is drawn; false when it is not drawn. */
bool viz_packet_point(const struct viz_ctx *c, uint32_t i, int *px, int *py);
/* The host drawn at pixel (x, y), or -1. */
int viz_host_at(const struct viz_ctx *c, int x, int y);
/* The tx event of the packet drawn at pixel (x, y) (the topmost), or REC_NONE. */
uint32_t viz_packet_at(const struct viz_ctx *c, int x, int y);
/* A click on the picture at time c->t: selects the packet or else the host
 * under it; a click on empty space clears the selection. */
void viz_select_at(struct viz_ctx *c, int x, int y);

#endif
