/* tcpsim viz: the window loop and the headless picture writers. */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "viz.h"
#include "viz_draw.h"
#include "viz_module.h"

#define FONT_EN "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_KO "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

/* Writes an RGB PNG with no time or text chunks, so equal pictures give
 * equal bytes.  Returns 0 or -1. */
static int viz_write_png(SDL_Surface *s, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_bytep row = malloc((size_t)s->w * 3);
    for (int y = 0; row && y < s->h; y++) {
        const uint32_t *px = (const uint32_t *)((const uint8_t *)s->pixels + (size_t)y * s->pitch);
        for (int x = 0; x < s->w; x++)
            SDL_GetRGB(px[x], s->format, &row[3 * x], &row[3 * x + 1], &row[3 * x + 2]);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(f) == 0 && row ? 0 : -1;
}

static sim_time viz_end_time(const struct recording *r, const struct world_desc *w)
{
    sim_time end = r->n_events ? r->events[r->n_events - 1].t : 0;
    return w->duration > end ? w->duration : end;
}

static int viz_open_fonts(struct viz_ctx *c, int scale)
{
    const char *path = c->ko ? FONT_KO : FONT_EN;
    c->font = TTF_OpenFont(path, 16 * scale);
    c->small = TTF_OpenFont(path, 12 * scale);
    if (!c->font || !c->small) {
        fprintf(stderr, "tcpsim viz: cannot open font %s: %s\n", path, TTF_GetError());
        return -1;
    }
    return 0;
}

static void viz_close_fonts(struct viz_ctx *c)
{
    if (c->font)
        TTF_CloseFont(c->font);
    if (c->small)
        TTF_CloseFont(c->small);
}

/* Renders pictures into a software surface: one (--png) or a series (--frames). */
static int viz_headless(struct viz_ctx *c, const struct viz_opts *o)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, c->w, c->h, 32, SDL_PIXELFORMAT_RGB888);
    c->ren = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    if (!c->ren) {
        fprintf(stderr, "tcpsim viz: %s\n", SDL_GetError());
        SDL_FreeSurface(s);
        return 3;
    }
    int rc = 0;
    if (o->png) {
        c->t = o->at;
        if (o->click)
            viz_select_at(c, o->click_x, o->click_y);
        viz_draw(c);
        SDL_RenderPresent(c->ren);
        rc = viz_write_png(s, o->png);
    } else {
        if (mkdir(o->frames_dir, 0777) != 0 && errno != EEXIST)
            rc = -1;
        sim_time step = (sim_time)(c->speed * SIM_SEC / (o->fps ? o->fps : 30));
        if (step <= 0)
            step = 1;
        for (uint32_t k = 0; rc == 0 && (sim_time)k * step <= c->t_end; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/frame%05u.png", o->frames_dir, k);
            c->t = (sim_time)k * step;
            viz_draw(c);
            SDL_RenderPresent(c->ren);
            rc = viz_write_png(s, path);
        }
    }
    if (rc != 0)
        fprintf(stderr, "tcpsim viz: cannot write %s\n", o->png ? o->png : o->frames_dir);
    SDL_DestroyRenderer(c->ren);
    SDL_FreeSurface(s);
    return rc == 0 ? 0 : 3;
}

/* Moves to the time of the next (dir > 0) or previous event. */
static void viz_step(struct viz_ctx *c, int dir)
{
    const struct recording *r = c->rec;
    uint32_t i = recording_seek_time(r, c->t + (dir > 0 ? 1 : 0));
    if (dir > 0)
        c->t = i < r->n_events ? r->events[i].t : c->t_end;
    else
        c->t = i > 0 ? r->events[i - 1].t : 0;
    c->playing = false;
}

static void viz_click(struct viz_ctx *c, int x, int y)
{
    if (y >= c->h - 66 && y <= c->h - 40) {
        double f = (double)(x - 20) / (double)(c->w - 40);
        c->t = (sim_time)((f < 0 ? 0 : f > 1 ? 1 : f) * (double)c->t_end);
        return;
    }
    viz_select_at(c, x, y);
}

/* Handles one event; false when the window should close. */
static bool viz_input(struct viz_ctx *c, const SDL_Event *e, bool *dragging)
{
    if (e->type == SDL_QUIT)
        return false;
    if (e->type == SDL_MOUSEBUTTONDOWN) {
        viz_click(c, e->button.x, e->button.y);
        *dragging = e->button.y >= c->h - 66;
    } else if (e->type == SDL_MOUSEBUTTONUP) {
        *dragging = false;
    } else if (e->type == SDL_MOUSEMOTION && *dragging) {
        viz_click(c, e->motion.x, c->h - 55);
    } else if (e->type == SDL_KEYDOWN) {
        switch (e->key.keysym.sym) {
        case SDLK_ESCAPE:
        case SDLK_q:
            return false;
        case SDLK_SPACE:
            c->playing = !c->playing;
            break;
        case SDLK_RIGHT:
            viz_step(c, 1);
            break;
        case SDLK_LEFT:
            viz_step(c, -1);
            break;
        case SDLK_PLUS:
        case SDLK_EQUALS:
        case SDLK_KP_PLUS:
            c->speed *= 2;
            break;
        case SDLK_MINUS:
        case SDLK_KP_MINUS:
            c->speed /= 2;
            break;
        case SDLK_HOME:
            c->t = 0;
            break;
        case SDLK_h:
            c->help = !c->help;
            break;
        default:
            break;
        }
    }
    return true;
}

/* High-DPI: draw in window coordinates (where mouse events are) scaled to
 * the renderer's pixels. */
static void viz_fit_window(struct viz_ctx *c, SDL_Window *win)
{
    int ww, wh, ow, oh;
    SDL_GetWindowSize(win, &ww, &wh);
    SDL_GetRendererOutputSize(c->ren, &ow, &oh);
    float scale = ww > 0 && ow > ww ? (float)ow / (float)ww : 1.0f;
    SDL_RenderSetScale(c->ren, scale, scale);
    c->w = ww;
    c->h = wh;
}

/* The picture just drawn (before it is presented), as the window shows it. */
static int viz_screenshot(struct viz_ctx *c, const char *path)
{
    int w, h;
    SDL_GetRendererOutputSize(c->ren, &w, &h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    int rc = 3;
    if (s && SDL_RenderReadPixels(c->ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) == 0)
        rc = viz_write_png(s, path) == 0 ? 0 : 3;
    if (rc != 0)
        fprintf(stderr, "tcpsim viz: cannot write %s\n", path);
    SDL_FreeSurface(s);
    return rc;
}

static int viz_window(struct viz_ctx *c, const struct viz_opts *o)
{
    SDL_Window *win = SDL_CreateWindow("tcpsim viz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                       c->w, c->h, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    c->ren = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
    if (!c->ren) {
        fprintf(stderr, "tcpsim viz: %s\n", SDL_GetError());
        if (win)
            SDL_DestroyWindow(win);
        return 3;
    }
    c->playing = o->autoplay;
    int rc = 0;
    bool run = true, dragging = false;
    uint32_t last = SDL_GetTicks(), start = last, frames = 0;
    while (run) {
        SDL_Event e;
        while (SDL_PollEvent(&e))
            run = run && viz_input(c, &e, &dragging);
        viz_fit_window(c, win);
        uint32_t now = SDL_GetTicks();
        if (c->playing)
            c->t += (sim_time)(c->speed * (double)(now - last) * SIM_MS);
        last = now;
        if (c->t >= c->t_end) {
            c->t = c->t_end;
            if (o->exit_at_end && c->playing)
                run = false;
            c->playing = false;
        }
        viz_draw(c);
        if (!run && o->screenshot)
            rc = viz_screenshot(c, o->screenshot);
        SDL_RenderPresent(c->ren);
        frames++;
        /* About 60 pictures a second: wait only what drawing left of 16 ms. */
        uint32_t spent = SDL_GetTicks() - now;
        if (spent < 16)
            SDL_Delay(16 - spent);
    }
    if (o->exit_at_end) {
        double secs = (double)(SDL_GetTicks() - start) / 1000.0;
        fprintf(stderr, "tcpsim viz: %u pictures in %.1f s (%.0f per second)\n", frames, secs,
                secs > 0 ? frames / secs : 0.0);
    }
    SDL_DestroyRenderer(c->ren);
    SDL_DestroyWindow(win);
    return rc;
}

int viz_sdl_run(const struct recording *r, const struct world_desc *w, const struct viz_opts *o)
{
    bool headless = o->png || o->frames_dir;
    if (headless && !SDL_getenv("SDL_VIDEODRIVER"))
        SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (SDL_Init(headless ? 0 : SDL_INIT_VIDEO) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "tcpsim viz: %s\n", SDL_GetError());
        return 3;
    }
    struct viz_ctx c = {
        .rec = r,
        .world = w,
        .ko = o->lang && strcmp(o->lang, "ko") == 0,
        .w = o->width ? (int)o->width : 1280,
        .h = o->height ? (int)o->height : 800,
        .t_end = viz_end_time(r, w),
        .speed = o->speed > 0 ? o->speed : 0.01,
        .selected_host = -1,
        .selected_packet = REC_NONE,
    };
    scene_layout(w, &c.scene);
    int rc = viz_open_fonts(&c, 1) == 0 ? (headless ? viz_headless(&c, o) : viz_window(&c, o)) : 3;
    viz_close_fonts(&c);
    scene_free(&c.scene);
    TTF_Quit();
    SDL_Quit();
    return rc;
}

/* The only symbol the module exports (it is built with hidden visibility). */
__attribute__((visibility("default"))) const struct viz_module *tcpsim_viz_module(void)
{
    static const struct viz_module module = {
        .abi = VIZ_MODULE_ABI,
        .sizeof_recording = sizeof(struct recording),
        .sizeof_world = sizeof(struct world_desc),
        .sizeof_opts = sizeof(struct viz_opts),
        .run = viz_sdl_run,
    };
    return &module;
}
