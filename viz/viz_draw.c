/* Topology, packets, connection states, ladder, timeline and legend. */
#include "viz_draw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ladder.h"
#include "viz_details.h"

static const SDL_Color kind_color[SK_COUNT] = {
    [SK_SYN] = {46, 160, 67, 255},   [SK_SYNACK] = {20, 120, 200, 255},
    [SK_ACK] = {120, 120, 120, 255}, [SK_DATA] = {30, 90, 220, 255},
    [SK_FIN] = {230, 160, 0, 255},   [SK_RST] = {210, 40, 40, 255},
    [SK_UDP] = {0, 160, 170, 255},   [SK_ICMP] = {140, 60, 170, 255},
    [SK_ARP] = {170, 170, 170, 255}, [SK_OTHER] = {90, 90, 90, 255},
};
/* Legend names: protocol names stay as they are in both languages (they are
 * what Wireshark and the textbooks show); the two words are translated. */
static const char *const kind_name[2][SK_COUNT] = {
    {"SYN", "SYN-ACK", "ACK", "data", "FIN", "RST", "UDP", "ICMP", "ARP", "other"},
    {"SYN", "SYN-ACK", "ACK", "데이터", "FIN", "RST", "UDP", "ICMP", "ARP", "기타"},
};

/* English and Korean texts of the interface. */
enum {
    TX_PLAYING,
    TX_PAUSED,
    TX_CONNS,
    TX_LADDER,
    TX_HELP1,
    TX_HELP2,
    TX_HELP3,
    TX_LOST,
    TX_LINK_LOSS,
    TX_N
};
static const char *const texts[2][TX_N] = {
    {"playing", "paused", "Connections", "Ladder", "space: play/pause   left/right: step",
     "+/-: speed   Home: restart   drag timeline: seek", "click packet or host: details   H: help",
     "lost", "loss"},
    {"재생 중", "일시 정지", "연결", "래더 다이어그램", "스페이스: 재생/정지   ←/→: 한 단계",
     "+/-: 속도   Home: 처음으로   타임라인 끌기: 이동", "패킷·호스트 클릭: 자세히   H: 도움말",
     "손실", "손실률"},
};

static const char *tr(const struct viz_ctx *c, int id)
{
    return texts[c->ko][id];
}

void viz_link_caption(const struct viz_ctx *c, const struct world_link *l, char *buf, size_t n)
{
    snprintf(buf, n, "%s  %" PRId64 " ms  %" PRIu64 " Mb/s  %s %.1f%%", l->name ? l->name : "",
             l->delay / SIM_MS, l->rate_bps / 1000000, tr(c, TX_LINK_LOSS), l->loss * 100);
}

const char *viz_kind_name(const struct viz_ctx *c, enum scene_kind k)
{
    return k < SK_COUNT ? kind_name[c->ko][k] : "";
}

static void set_color(SDL_Renderer *r, SDL_Color k)
{
    SDL_SetRenderDrawColor(r, k.r, k.g, k.b, k.a);
}

static void text(struct viz_ctx *c, TTF_Font *f, int x, int y, SDL_Color k, const char *s)
{
    if (!s || !s[0])
        return;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(f, s, k);
    if (!surf)
        return;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(c->ren, surf);
    SDL_Rect dst = {x, y, surf->w, surf->h};
    if (tex) {
        SDL_RenderCopy(c->ren, tex, NULL, &dst);
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
}

static void text_centered(struct viz_ctx *c, TTF_Font *f, int x, int y, SDL_Color k, const char *s)
{
    int w = 0, h = 0;
    if (s && TTF_SizeUTF8(f, s, &w, &h) == 0)
        text(c, f, x - w / 2, y, k, s);
}

/* Text wrapped to `width` pixels (the lesson text), cut after the last whole
 * line that fits in `max_h` pixels so no line is drawn half. */
static void text_wrapped(struct viz_ctx *c, TTF_Font *f, int x, int y, int width, int max_h,
                         SDL_Color k, const char *s)
{
    if (!s || !s[0] || width <= 0)
        return;
    SDL_Surface *surf = TTF_RenderUTF8_Blended_Wrapped(f, s, k, (Uint32)width);
    if (!surf)
        return;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(c->ren, surf);
    int skip = TTF_FontLineSkip(f) > 0 ? TTF_FontLineSkip(f) : 1;
    int fit = max_h / skip * skip;
    SDL_Rect src = {0, 0, surf->w, surf->h > fit ? fit : surf->h}, dst = {x, y, src.w, src.h};
    if (tex) {
        SDL_RenderCopy(c->ren, tex, &src, &dst);
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
}

/* Where the topology starts: the lesson text above it gets up to seven lines. */
#define VIZ_TOPO_TOP 150

static void fill_circle(SDL_Renderer *r, int cx, int cy, int rad)
{
    for (int dy = -rad; dy <= rad; dy++) {
        int dx = 0;
        while ((dx + 1) * (dx + 1) + dy * dy <= rad * rad)
            dx++;
        SDL_RenderDrawLine(r, cx - dx, cy + dy, cx + dx, cy + dy);
    }
}

#define VIZ_HOST_RADIUS 24

void viz_topo_point(const struct viz_ctx *c, double x, double y, int *px, int *py)
{
    int w = c->w * 55 / 100, top = VIZ_TOPO_TOP, h = c->h - 250;
    *px = 40 + (int)(x * (w - 80));
    *py = top + (int)(y * (h - 40));
}

bool viz_packet_point(const struct viz_ctx *c, uint32_t i, int *px, int *py)
{
    if (i >= c->scene.n_packets)
        return false;
    const struct scene_packet *p = &c->scene.packets[i];
    if (p->to < 0 || p->from >= SCENE_MAX_HOSTS || p->to >= SCENE_MAX_HOSTS)
        return false;
    double x = c->scene.hx[p->from] + (c->scene.hx[p->to] - c->scene.hx[p->from]) * p->progress;
    double y = c->scene.hy[p->from] + (c->scene.hy[p->to] - c->scene.hy[p->from]) * p->progress;
    viz_topo_point(c, x, y, px, py);
    *py -= 8 + 6 * (int)(i % 3); /* keep overlapping packets apart */
    return true;
}

int viz_host_at(const struct viz_ctx *c, int x, int y)
{
    int hit = -1, r = VIZ_HOST_RADIUS + 2;
    for (uint32_t i = 0; i < c->world->n_hosts && i < SCENE_MAX_HOSTS; i++) {
        int hx, hy;
        viz_topo_point(c, c->scene.hx[i], c->scene.hy[i], &hx, &hy);
        if ((x - hx) * (x - hx) + (y - hy) * (y - hy) <= r * r)
            hit = (int)i;
    }
    return hit;
}

uint32_t viz_packet_at(const struct viz_ctx *c, int x, int y)
{
    for (uint32_t i = c->scene.n_packets; i-- > 0;) {
        int px, py;
        if (viz_packet_point(c, i, &px, &py) && x >= px - 11 && x <= px + 11 && y >= py - 9 &&
            y <= py + 9)
            return c->scene.packets[i].event;
    }
    return REC_NONE;
}

void viz_select_at(struct viz_ctx *c, int x, int y)
{
    scene_at(c->rec, c->world, c->t, &c->scene);
    c->selected_packet = viz_packet_at(c, x, y);
    c->selected_host = c->selected_packet == REC_NONE ? viz_host_at(c, x, y) : -1;
}

static void fmt_time(sim_time t, char *buf, size_t n)
{
    snprintf(buf, n, "%" PRId64 ".%03" PRId64 " ms", t / SIM_MS, (t % SIM_MS) / SIM_US);
}

static void draw_links(struct viz_ctx *c)
{
    const SDL_Color grey = {150, 150, 160, 255}, ink = {70, 70, 80, 255};
    for (uint32_t i = 0; i < c->world->n_links; i++) {
        const struct world_link *l = &c->world->links[i];
        if (l->a >= SCENE_MAX_HOSTS || l->b >= SCENE_MAX_HOSTS)
            continue;
        int x1, y1, x2, y2;
        viz_topo_point(c, c->scene.hx[l->a], c->scene.hy[l->a], &x1, &y1);
        viz_topo_point(c, c->scene.hx[l->b], c->scene.hy[l->b], &x2, &y2);
        set_color(c->ren, grey);
        for (int d = -1; d <= 1; d++)
            SDL_RenderDrawLine(c->ren, x1, y1 + d, x2, y2 + d);
        char s[96];
        viz_link_caption(c, l, s, sizeof s);
        text_centered(c, c->small, (x1 + x2) / 2, (y1 + y2) / 2 + 10, ink, s);
    }
}

static void draw_hosts(struct viz_ctx *c)
{
    const SDL_Color fill = {245, 245, 250, 255}, edge = {40, 40, 60, 255}, sel = {230, 120, 0, 255};
    for (uint32_t i = 0; i < c->world->n_hosts && i < SCENE_MAX_HOSTS; i++) {
        const struct world_host *h = &c->world->hosts[i];
        int x, y;
        viz_topo_point(c, c->scene.hx[i], c->scene.hy[i], &x, &y);
        set_color(c->ren, (int)i == c->selected_host ? sel : edge);
        fill_circle(c->ren, x, y, 24);
        set_color(c->ren, fill);
        fill_circle(c->ren, x, y, 21);
        text_centered(c, c->font, x, y - 50, edge, h->name);
        char a[16];
        if (h->n_addrs) {
            snprintf(a, sizeof a, "%u.%u.%u.%u", h->addrs[0] >> 24, (h->addrs[0] >> 16) & 255,
                     (h->addrs[0] >> 8) & 255, h->addrs[0] & 255);
            text_centered(c, c->small, x, y + 28, edge, a);
        }
    }
}

static void draw_packets(struct viz_ctx *c)
{
    const SDL_Color sel = {230, 120, 0, 255};
    for (uint32_t i = 0; i < c->scene.n_packets; i++) {
        const struct scene_packet *p = &c->scene.packets[i];
        int px, py;
        if (!viz_packet_point(c, i, &px, &py))
            continue;
        if (p->event == c->selected_packet) {
            set_color(c->ren, sel);
            SDL_Rect ring = {px - 13, py - 10, 26, 20};
            SDL_RenderFillRect(c->ren, &ring);
        }
        if (p->lost) {
            set_color(c->ren, kind_color[SK_RST]);
            for (int d = -1; d <= 1; d++) {
                SDL_RenderDrawLine(c->ren, px - 9 + d, py - 9, px + 9 + d, py + 9);
                SDL_RenderDrawLine(c->ren, px - 9 + d, py + 9, px + 9 + d, py - 9);
            }
            continue;
        }
        set_color(c->ren, kind_color[p->kind]);
        SDL_Rect box = {px - 9, py - 6, 18, 12};
        SDL_RenderFillRect(c->ren, &box);
    }
}

static void draw_conns(struct viz_ctx *c, int x, int y)
{
    const SDL_Color ink = {30, 30, 40, 255}, state = {123, 31, 162, 255};
    text(c, c->font, x, y, ink, tr(c, TX_CONNS));
    for (uint32_t i = 0; i < c->scene.n_conns && i < 7; i++) {
        const struct scene_conn *k = &c->scene.conns[i];
        char s[160];
        snprintf(s, sizeof s, "%s %s: %s -> %s", k->host >= 0 ? c->world->hosts[k->host].name : "?",
                 recording_str(c->rec, k->conn), recording_str(c->rec, k->prev),
                 recording_str(c->rec, k->state));
        text(c, c->small, x, y + 24 + 18 * (int)i, state, s);
    }
}

/* RFC 9293 §3.3.2 states, the current one of the latest connection to
 * change lit and the one it came from outlined. */
static void draw_states(struct viz_ctx *c, int x, int y)
{
    static const char *const states[] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RCVD",
                                         "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",
                                         "TIME_WAIT",   "CLOSE_WAIT", "LAST_ACK"};
    const SDL_Color lit = {123, 31, 162, 255}, prev = {230, 120, 0, 255},
                    dim = {200, 200, 210, 255}, ink = {50, 50, 60, 255},
                    white = {255, 255, 255, 255};
    const char *cur = "", *was = "";
    if (c->scene.last_conn >= 0) {
        const struct scene_conn *k = &c->scene.conns[c->scene.last_conn];
        cur = recording_str(c->rec, k->state);
        was = recording_str(c->rec, k->prev);
    }
    int bw = (c->w - x - 20) / 4 - 6;
    for (int i = 0; i < 11; i++) {
        SDL_Rect r = {x + (i % 4) * (bw + 6), y + (i / 4) * 32, bw, 26};
        bool on = strcmp(states[i], cur) == 0;
        set_color(c->ren, on ? lit : strcmp(states[i], was) == 0 ? prev : dim);
        if (on)
            SDL_RenderFillRect(c->ren, &r);
        else
            SDL_RenderDrawRect(c->ren, &r);
        text_centered(c, c->small, r.x + bw / 2, r.y + 5, on ? white : ink, states[i]);
    }
}

/* The latest frames up to now, one line each, newest at the bottom. */
static void draw_ladder(struct viz_ctx *c, int x, int y, int rows)
{
    const SDL_Color ink = {30, 30, 40, 255};
    text(c, c->font, x, y, ink, tr(c, TX_LADDER));
    uint32_t idx[64], n = 0;
    for (uint32_t i = c->scene.upto; i-- > 0 && n < (uint32_t)rows && n < 64;)
        if (c->rec->events[i].kind == TRACE_TX && c->rec->events[i].frame != REC_NONE)
            idx[n++] = i;
    for (uint32_t k = 0; k < n; k++) {
        const struct rec_event *e = &c->rec->events[idx[n - 1 - k]];
        const struct rec_frame *f = recording_frame_of(c->rec, e);
        char label[160], line[256], ts[32];
        fmt_time(e->t, ts, sizeof ts);
        uint32_t end = recording_frame_end(c->rec, idx[n - 1 - k]);
        bool lost = end != REC_NONE && c->rec->events[end].kind == TRACE_DROP &&
                    c->rec->events[end].t <= c->t;
        snprintf(line, sizeof line, "%s  %s: %s%s", ts, recording_str(c->rec, e->host),
                 ladder_frame_label(f, label, sizeof label), lost ? "  x " : "");
        if (lost)
            strncat(line, tr(c, TX_LOST), sizeof line - strlen(line) - 1);
        text(c, c->small, x, y + 24 + 17 * (int)k, kind_color[scene_kind_of(f)], line);
    }
}

/* The clicked packet's headers or the clicked host's connections, in a
 * box that grows with its lines. */
static void draw_details(struct viz_ctx *c)
{
    struct viz_details d = {.n = 0};
    enum viz_lang lang = c->ko ? VIZ_LANG_KO : VIZ_LANG_EN;
    if (c->selected_packet != REC_NONE)
        viz_details_packet(c->rec, c->selected_packet, c->t, lang, &d);
    else if (c->selected_host >= 0)
        viz_details_host(c->rec, c->world, &c->scene, c->selected_host, c->t, lang, &d);
    if (d.n == 0)
        return;
    const SDL_Color ink = {30, 30, 40, 255}, box = {250, 246, 235, 255}, edge = {230, 120, 0, 255};
    int rows = (int)d.n, max_rows = (c->h - VIZ_TOPO_TOP - 120) / 16;
    if (rows > max_rows)
        rows = max_rows;
    SDL_Rect r = {20, 0, c->w * 52 / 100, 14 + 16 * rows + 6};
    r.y = c->h - 108 - r.h;
    set_color(c->ren, box);
    SDL_RenderFillRect(c->ren, &r);
    set_color(c->ren, edge);
    SDL_RenderDrawRect(c->ren, &r);
    text(c, c->font, r.x + 10, r.y + 4, ink, d.line[0]);
    for (int i = 1; i < rows; i++)
        text(c, c->small, r.x + 10, r.y + 10 + 16 * i, ink, d.line[i]);
}

static void draw_timeline(struct viz_ctx *c)
{
    const SDL_Color bar = {220, 220, 228, 255}, done = {60, 110, 200, 255}, ink = {30, 30, 40, 255};
    int y = c->h - 60, x0 = 20, x1 = c->w - 20;
    SDL_Rect r = {x0, y, x1 - x0, 10};
    set_color(c->ren, bar);
    SDL_RenderFillRect(c->ren, &r);
    double f = c->t_end > 0 ? (double)c->t / (double)c->t_end : 1.0;
    r.w = (int)((x1 - x0) * (f > 1 ? 1 : f));
    set_color(c->ren, done);
    SDL_RenderFillRect(c->ren, &r);
    char ts[32], s[96];
    fmt_time(c->t, ts, sizeof ts);
    snprintf(s, sizeof s, "%s   (%s, x%.3g)", ts, tr(c, c->playing ? TX_PLAYING : TX_PAUSED),
             c->speed);
    text(c, c->font, x0, y + 14, ink, s);
}

static void draw_legend(struct viz_ctx *c)
{
    int x = 20, y = c->h - 100;
    for (int k = 0; k < SK_OTHER; k++) {
        SDL_Rect box = {x, y + 3, 14, 10};
        set_color(c->ren, kind_color[k]);
        SDL_RenderFillRect(c->ren, &box);
        text(c, c->small, x + 18, y, (SDL_Color){40, 40, 50, 255},
             viz_kind_name(c, (enum scene_kind)k));
        x += 90;
    }
}

static void draw_header(struct viz_ctx *c)
{
    const SDL_Color ink = {20, 20, 30, 255};
    const struct world_desc *w = c->world;
    text(c, c->font, 20, 10, ink, w->title ? w->title : w->name);
    const char *desc = c->ko && w->desc_ko ? w->desc_ko : w->desc_en;
    if (c->help) {
        for (int i = 0; i < 3; i++)
            text(c, c->small, c->w / 2, 10 + 16 * i, ink, tr(c, TX_HELP1 + i));
    } else if (desc) {
        text_wrapped(c, c->small, 20, 34, c->w * 55 / 100 - 20, VIZ_TOPO_TOP - 44,
                     (SDL_Color){80, 80, 90, 255}, desc);
    }
}

void viz_draw(struct viz_ctx *c)
{
    SDL_SetRenderDrawColor(c->ren, 255, 255, 255, 255);
    SDL_RenderClear(c->ren);
    scene_at(c->rec, c->world, c->t, &c->scene);
    draw_header(c);
    draw_links(c);
    draw_hosts(c);
    draw_packets(c);
    int px = c->w * 57 / 100;
    draw_conns(c, px, 60);
    draw_states(c, px, 230);
    draw_ladder(c, px, 340, (c->h - 480) / 17);
    draw_details(c);
    draw_legend(c);
    draw_timeline(c);
}
