/* `tcpsim viz` in a real window under Xvfb: it plays a lesson to the end
 * (--autoplay --exit-at-end) and its last picture (--screenshot) shows the
 * frames in their kinds' colours and the lit state. */
#include <criterion/criterion.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

/* Counts pixels of exactly this colour in an RGB PNG. */
static long count_color(const char *path, unsigned r, unsigned g, unsigned b)
{
    png_image img = {.version = PNG_IMAGE_VERSION};
    cr_assert(png_image_begin_read_from_file(&img, path), "cannot read %s", path);
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

Test(viz_cli, window_plays_a_lesson_to_the_end_and_shows_it)
{
    const char *shot = "/tmp/tcpsim_viz_cli_shot.png";
    remove(shot);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "xvfb-run -a '%s' viz '%s/scenarios/handshake.json' --autoplay --exit-at-end "
             "--speed 2 --screenshot %s",
             TCPSIM_EXE, SOURCE_ROOT, shot);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);
    cr_expect_gt(count_color(shot, 46, 160, 67), 100, "no SYN-coloured ladder line");
    cr_expect_gt(count_color(shot, 123, 31, 162), 2000, "no lit state");
    remove(shot);
}
