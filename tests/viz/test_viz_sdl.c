/* The SDL2 visualizer rendering headless pictures. */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viz/viz_draw.h"
#include "viz/viz_module.h"
#include "viz_fixture.h"

static struct recording rec;

static void rec_setup(void)
{
    recording_init(&rec);
    fx_handshake(&rec);
    fx_send(&rec, 40 * SIM_MS, "client", NULL,
            C2S(.seq = 1001, .ack = 5001, .flags = 0x18, .win = 512, .len = 100));
    recording_freeze(&rec);
}

static void rec_teardown(void)
{
    recording_destroy(&rec);
}

TestSuite(viz_sdl, .init = rec_setup, .fini = rec_teardown);

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no file %s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len ? *len : 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void render_png(const char *path, sim_time at, const char *lang)
{
    struct viz_opts o = {.png = path, .at = at, .lang = lang};
    cr_assert_eq(viz_sdl_run(&rec, &fx_world, &o), 0);
}

Test(viz_sdl, png_same_bytes_twice)
{
    render_png("/tmp/tcpsim_viz_a.png", 5 * SIM_MS, "en");
    render_png("/tmp/tcpsim_viz_b.png", 5 * SIM_MS, "en");
    size_t la, lb;
    unsigned char *a = slurp("/tmp/tcpsim_viz_a.png", &la),
                  *b = slurp("/tmp/tcpsim_viz_b.png", &lb);
    cr_expect_gt(la, 1000);
    cr_expect(la == lb && memcmp(a, b, la) == 0, "two renders differ");
    free(a);
    free(b);
    remove("/tmp/tcpsim_viz_b.png");
}

/* Counts pixels of exactly this colour in an RGB PNG. */
static long count_color(const char *path, unsigned r, unsigned g, unsigned b)
{
    png_image img = {.version = PNG_IMAGE_VERSION};
    cr_assert(png_image_begin_read_from_file(&img, path));
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    cr_assert(png_image_finish_read(&img, NULL, px, 0, NULL));
    long n = 0;
    for (size_t i = 0; i + 2 < PNG_IMAGE_SIZE(img); i += 3)
        n += px[i] == r && px[i + 1] == g && px[i + 2] == b;
    free(px);
    png_image_free(&img);
    return n;
}

Test(viz_sdl, png_shows_syn_in_flight)
{
    render_png("/tmp/tcpsim_viz_syn.png", 5 * SIM_MS, "en");
    cr_expect_gt(count_color("/tmp/tcpsim_viz_syn.png", 46, 160, 67), 150,
                 "no SYN-coloured packet");
}

Test(viz_sdl, png_marks_lost_frame)
{
    render_png("/tmp/tcpsim_viz_lost.png", 46 * SIM_MS, "en");
    render_png("/tmp/tcpsim_viz_before.png", 41 * SIM_MS, "en");
    long lost = count_color("/tmp/tcpsim_viz_lost.png", 210, 40, 40);
    long before = count_color("/tmp/tcpsim_viz_before.png", 210, 40, 40);
    cr_expect_gt(lost, before + 30, "no x where the frame was lost (%ld vs %ld)", lost, before);
}

Test(viz_sdl, png_korean_renders)
{
    struct world_desc w = fx_world;
    w.title = "TCP 3-way handshake";
    w.desc_en = "The client opens a connection.";
    w.desc_ko = "클라이언트가 SYN을 보내고, 서버가 SYN-ACK로 답하고, 클라이언트가 ACK로 연결을 "
                "완성합니다. 각 쪽의 상태가 어떻게 바뀌는지 보세요.";
    struct viz_opts o = {.png = "/tmp/tcpsim_viz_ko.png", .at = 25 * SIM_MS, .lang = "ko"};
    cr_assert_eq(viz_sdl_run(&rec, &w, &o), 0);
    size_t len;
    unsigned char *b = slurp("/tmp/tcpsim_viz_ko.png", &len);
    cr_expect_gt(len, 1000);
    free(b);
}

Test(viz_sdl, png_to_unwritable_path_fails)
{
    struct viz_opts o = {.png = "/nonexistent-dir/x.png", .at = 0};
    cr_expect_eq(viz_sdl_run(&rec, &fx_world, &o), 3);
}

Test(viz_sdl, frames_one_png_per_step)
{
    char dir[] = "/tmp/tcpsim_viz_frames_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct viz_opts o = {.frames_dir = dir, .fps = 100, .speed = 1.0};
    cr_assert_eq(viz_sdl_run(&rec, &fx_world, &o), 0);
    /* 10 ms per picture over a 45 ms recording: frames 0..4 */
    char path[128];
    for (int k = 0; k <= 6; k++) {
        snprintf(path, sizeof path, "%s/frame%05d.png", dir, k);
        FILE *f = fopen(path, "rb");
        if (k <= 4)
            cr_expect_not_null(f, "missing %s", path);
        else
            cr_expect_null(f, "extra %s", path);
        if (f) {
            fclose(f);
            remove(path);
        }
    }
    rmdir(dir);
}

/* The state panel lights the state the stack reports (SPEC §4 names): at
 * 15 ms srv#1 has just gone LISTEN -> SYN_RCVD, so one box is filled. */
Test(viz_sdl, png_lights_current_state_box)
{
    render_png("/tmp/tcpsim_viz_state.png", 15 * SIM_MS, "en");
    cr_expect_gt(count_color("/tmp/tcpsim_viz_state.png", 123, 31, 162), 2000, "no state box lit");
}

/* A context like the window's at time t, without a renderer: enough for
 * the click mapping. */
static struct viz_ctx click_ctx(sim_time t)
{
    struct viz_ctx c = {.rec = &rec,
                        .world = &fx_world,
                        .w = 1280,
                        .h = 800,
                        .t = t,
                        .selected_host = -1,
                        .selected_packet = REC_NONE};
    scene_layout(&fx_world, &c.scene);
    scene_at(&rec, &fx_world, t, &c.scene);
    return c;
}

Test(viz_sdl, click_at_drawn_host_selects_it)
{
    struct viz_ctx c = click_ctx(32 * SIM_MS);
    for (int i = 0; i < 3; i++) {
        int x, y;
        viz_topo_point(&c, c.scene.hx[i], c.scene.hy[i], &x, &y);
        viz_select_at(&c, x + 5, y - 5);
        cr_expect_eq(c.selected_host, i, "click on host %d at (%d,%d)", i, x, y);
        cr_expect_eq(c.selected_packet, REC_NONE);
    }
    scene_free(&c.scene);
}

Test(viz_sdl, click_at_drawn_packet_selects_it)
{
    struct viz_ctx c = click_ctx(5 * SIM_MS);
    cr_assert_eq(c.scene.n_packets, 1);
    int x, y;
    cr_assert(viz_packet_point(&c, 0, &x, &y));
    viz_select_at(&c, x, y);
    cr_expect_eq(c.selected_packet, c.scene.packets[0].event);
    cr_expect_eq(c.selected_host, -1);
    scene_free(&c.scene);
}

Test(viz_sdl, click_on_empty_space_clears_selection)
{
    struct viz_ctx c = click_ctx(5 * SIM_MS);
    int x, y;
    viz_topo_point(&c, c.scene.hx[0], c.scene.hy[0], &x, &y);
    viz_select_at(&c, x, y);
    cr_assert_eq(c.selected_host, 0);
    viz_select_at(&c, x, y + 100);
    cr_expect_eq(c.selected_host, -1);
    cr_expect_eq(c.selected_packet, REC_NONE);
    scene_free(&c.scene);
}

/* The host is drawn where the mapping says: its centre has the host fill. */
Test(viz_sdl, png_host_drawn_at_mapped_point)
{
    render_png("/tmp/tcpsim_viz_hostpos.png", 32 * SIM_MS, "en");
    struct viz_ctx c = click_ctx(32 * SIM_MS);
    int x, y;
    viz_topo_point(&c, c.scene.hx[2], c.scene.hy[2], &x, &y);
    scene_free(&c.scene);
    png_image img = {.version = PNG_IMAGE_VERSION};
    cr_assert(png_image_begin_read_from_file(&img, "/tmp/tcpsim_viz_hostpos.png"));
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    cr_assert(png_image_finish_read(&img, NULL, px, 0, NULL));
    const unsigned char *p = px + ((size_t)y * img.width + (size_t)x) * 3;
    cr_expect(p[0] == 245 && p[1] == 245 && p[2] == 250, "(%d,%d) is %u,%u,%u", x, y, p[0], p[1],
              p[2]);
    free(px);
    png_image_free(&img);
}

static void render_click(const char *path, sim_time at, int x, int y)
{
    struct viz_opts o = {.png = path, .at = at, .click = true, .click_x = x, .click_y = y};
    cr_assert_eq(viz_sdl_run(&rec, &fx_world, &o), 0);
}

#define PANEL 250, 246, 235

Test(viz_sdl, png_click_on_host_shows_details_panel)
{
    struct viz_ctx c = click_ctx(32 * SIM_MS);
    int x, y;
    viz_topo_point(&c, c.scene.hx[1], c.scene.hy[1], &x, &y);
    scene_free(&c.scene);
    render_png("/tmp/tcpsim_viz_nopanel.png", 32 * SIM_MS, "en");
    render_click("/tmp/tcpsim_viz_hostpanel.png", 32 * SIM_MS, x, y);
    cr_expect_eq(count_color("/tmp/tcpsim_viz_nopanel.png", PANEL), 0);
    cr_expect_gt(count_color("/tmp/tcpsim_viz_hostpanel.png", PANEL), 5000, "no details panel");
}

Test(viz_sdl, png_click_on_packet_shows_panel_and_marks_it)
{
    struct viz_ctx c = click_ctx(5 * SIM_MS);
    int x, y;
    cr_assert(viz_packet_point(&c, 0, &x, &y));
    scene_free(&c.scene);
    render_click("/tmp/tcpsim_viz_pktpanel.png", 5 * SIM_MS, x, y);
    render_png("/tmp/tcpsim_viz_pktnone.png", 5 * SIM_MS, "en");
    cr_expect_gt(count_color("/tmp/tcpsim_viz_pktpanel.png", PANEL), 5000, "no details panel");
    cr_expect_gt(count_color("/tmp/tcpsim_viz_pktpanel.png", 230, 120, 0),
                 count_color("/tmp/tcpsim_viz_pktnone.png", 230, 120, 0) + 100,
                 "the selected packet is not marked");
}

Test(viz_sdl, link_caption_in_english)
{
    struct viz_ctx c = {.ko = false};
    struct world_link l = {
        .name = "wan", .delay = 10 * SIM_MS, .rate_bps = 100000000, .loss = 0.02};
    char s[96];
    viz_link_caption(&c, &l, s, sizeof s);
    cr_expect_str_eq(s, "wan  10 ms  100 Mb/s  loss 2.0%");
}

Test(viz_sdl, link_caption_in_korean)
{
    struct viz_ctx c = {.ko = true};
    struct world_link l = {
        .name = "wan", .delay = 10 * SIM_MS, .rate_bps = 100000000, .loss = 0.02};
    char s[96];
    viz_link_caption(&c, &l, s, sizeof s);
    cr_expect_str_eq(s, "wan  10 ms  100 Mb/s  손실률 2.0%");
}

Test(viz_sdl, legend_words_translated_protocol_names_kept)
{
    struct viz_ctx en = {.ko = false}, ko = {.ko = true};
    cr_expect_str_eq(viz_kind_name(&en, SK_DATA), "data");
    cr_expect_str_eq(viz_kind_name(&ko, SK_DATA), "데이터");
    cr_expect_str_eq(viz_kind_name(&ko, SK_OTHER), "기타");
    cr_expect_str_eq(viz_kind_name(&ko, SK_SYNACK), "SYN-ACK");
}
