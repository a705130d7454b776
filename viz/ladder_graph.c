/* The ladder as Mermaid text and as a standalone SVG image. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "ladder_model.h"

/* Mermaid breaks messages at ';', comments at '#' and notes at ':'; it
 * accepts "#<code>;" entities for them. */
static void mmd_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ';' || *s == '#' || *s == ':' || *s == '<' || *s == '>')
            fprintf(out, "#%d;", (unsigned char)*s);
        else
            fputc(*s, out);
    }
}

static void mmd_row(FILE *out, const struct ladder_model *m, const struct ladder_row *row)
{
    char label[160];
    if (row->kind == LROW_STATE) {
        fprintf(out, "    Note over h%d: ", row->from);
        mmd_escaped(out, row->text);
    } else if (row->kind == LROW_LINK) {
        fprintf(out, "    Note over h0,h%u: link ", m->n_cols ? m->n_cols - 1 : 0);
        mmd_escaped(out, row->link);
        fputc(' ', out);
        mmd_escaped(out, row->text);
    } else {
        int to = row->to >= 0 ? row->to : row->from;
        ladder_frame_label(row->frame, label, sizeof label);
        if (to == row->from)
            fprintf(out, "    Note over h%d: lost ", row->from);
        else
            fprintf(out, "    h%d%sh%d: ", row->from, row->lost ? "-x" : "->>", to);
        mmd_escaped(out, label);
    }
    fputc('\n', out);
}

int ladder_write_mermaid(const struct recording *r, const struct world_desc *w,
                         const struct ladder_opts *o, FILE *out)
{
    struct ladder_model m;
    if (!ladder_model_build(r, w, o, &m))
        return -1;
    fputs("sequenceDiagram\n", out);
    for (uint32_t i = 0; i < m.n_cols; i++) {
        fprintf(out, "    participant h%u as ", i);
        mmd_escaped(out, m.cols[i]);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < m.n_rows; i++)
        if (m.rows[i].kind != LROW_LINK || m.n_cols > 0)
            mmd_row(out, &m, &m.rows[i]);
    ladder_model_free(&m);
    return ferror(out) ? -1 : 0;
}

/* ---- SVG ---- */

#define SVG_LEFT 110
#define SVG_TOP  70
#define SVG_COLW 220
#define SVG_ROWH 26 /* minimum vertical room per row */

/* Time runs down, but not linearly: each distinct instant gets its own
 * height, with a gap that grows with the time elapsed (up to a few rows), so
 * a long idle period does not squeeze a handshake into one line while
 * arrows still slant by their delay. */
struct svg {
    FILE *out;
    sim_time *times; /* sorted distinct instants */
    double *ys;
    uint32_t n;
};

static void svg_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else
            fputc(*s, out);
    }
}

static double svg_x(int col)
{
    return SVG_LEFT + SVG_COLW / 2.0 + SVG_COLW * (double)col;
}

static double svg_y(const struct svg *g, sim_time t)
{
    uint32_t lo = 0, hi = g->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->times[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < g->n && g->times[lo] == t)
        return g->ys[lo];
    if (lo == 0 || lo == g->n) /* outside: the nearest end */
        return g->n ? g->ys[lo == 0 ? 0 : g->n - 1] : SVG_TOP;
    double f = (double)(t - g->times[lo - 1]) / (double)(g->times[lo] - g->times[lo - 1]);
    return g->ys[lo - 1] + f * (g->ys[lo] - g->ys[lo - 1]);
}

static int svg_cmp_time(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return (x > y) - (x < y);
}

/* Heights of the instants; the smallest nonzero gap counts as one row. */
static bool svg_scale(struct svg *g, const struct ladder_model *m)
{
    g->times = malloc(sizeof *g->times * (2 * (size_t)m->n_rows + 1));
    g->ys = malloc(sizeof *g->ys * (2 * (size_t)m->n_rows + 1));
    if (!g->times || !g->ys)
        return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_rows; i++) {
        g->times[n++] = m->rows[i].t;
        if (m->rows[i].kind == LROW_FRAME)
            g->times[n++] = m->rows[i].t_end;
    }
    qsort(g->times, n, sizeof *g->times, svg_cmp_time);
    g->n = 0;
    for (uint32_t i = 0; i < n; i++)
        if (g->n == 0 || g->times[g->n - 1] != g->times[i])
            g->times[g->n++] = g->times[i];
    sim_time unit = 0;
    for (uint32_t i = 1; i < g->n; i++)
        if (unit == 0 || g->times[i] - g->times[i - 1] < unit)
            unit = g->times[i] - g->times[i - 1];
    for (uint32_t i = 0; i < g->n; i++) {
        double rows = i ? (double)(g->times[i] - g->times[i - 1]) / (double)unit : 0;
        g->ys[i] = i ? g->ys[i - 1] + SVG_ROWH * (rows < 1 ? 1 : rows > 4 ? 4 : rows) : SVG_TOP;
    }
    return true;
}

static const char *svg_class(const struct ladder_row *row)
{
    const struct rec_frame *f = row->frame;
    if (row->lost)
        return "lost";
    if (f->proto == DEC_UDP)
        return "udp";
    if (f->proto == DEC_ICMP)
        return "icmp";
    if (f->proto == DEC_ARP)
        return "arp";
    if (f->proto != DEC_TCP)
        return "other";
    if (f->flags & DEC_RST)
        return "rst";
    if (f->flags & DEC_SYN)
        return "syn";
    if (f->flags & DEC_FIN)
        return "fin";
    return f->len ? "data" : "ack";
}

static void svg_frame(struct svg *g, const struct ladder_row *row)
{
    char label[160];
    double x1 = svg_x(row->from), y1 = svg_y(g, row->t);
    double x2 = row->to >= 0 ? svg_x(row->to) : x1 + SVG_COLW / 2.0, y2 = svg_y(g, row->t_end);
    if (row->lost) {
        x2 = (x1 + x2) / 2;
        fprintf(g->out,
                "<line class=\"frame %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                svg_class(row), x1, y1, x2, y2);
        fprintf(g->out,
                "<path class=\"cross\" d=\"M%.1f %.1f L%.1f %.1f M%.1f %.1f L%.1f %.1f\"/>\n",
                x2 - 5, y2 - 5, x2 + 5, y2 + 5, x2 - 5, y2 + 5, x2 + 5, y2 - 5);
    } else {
        fprintf(g->out,
                "<line class=\"frame %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "marker-end=\"url(#head)\"/>\n",
                svg_class(row), x1, y1, x2, y2);
    }
    fprintf(g->out, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\">", (x1 + x2) / 2,
            (y1 + y2) / 2 - 4);
    svg_text(g->out, ladder_frame_label(row->frame, label, sizeof label));
    fputs("</text>\n", g->out);
}

static void svg_note(struct svg *g, const struct ladder_row *row, uint32_t n_cols)
{
    double y = svg_y(g, row->t);
    if (row->kind == LROW_STATE) {
        fprintf(g->out, "<text class=\"state\" x=\"%.1f\" y=\"%.1f\">[", svg_x(row->from), y + 4);
        svg_text(g->out, row->text);
        fputs("]</text>\n", g->out);
        return;
    }
    fprintf(g->out, "<line class=\"linkev\" x1=\"%d\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\"/>\n",
            SVG_LEFT, y, SVG_LEFT + SVG_COLW * n_cols, y);
    fprintf(g->out, "<text class=\"linkev\" x=\"%d\" y=\"%.1f\">link ", SVG_LEFT + 4, y - 3);
    svg_text(g->out, row->link);
    fputc(' ', g->out);
    svg_text(g->out, row->text);
    fputs("</text>\n", g->out);
}

static void svg_axis(struct svg *g, double bottom)
{
    fprintf(g->out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\"/>\n",
            SVG_LEFT - 10, SVG_TOP, SVG_LEFT - 10, bottom);
    for (uint32_t k = 0; k < g->n; k++) {
        sim_time t = g->times[k];
        fprintf(g->out,
                "<text class=\"tick\" x=\"%d\" y=\"%.1f\">%" PRId64 ".%03" PRId64 "ms</text>\n",
                SVG_LEFT - 14, svg_y(g, t) + 4, t / SIM_MS, (t % SIM_MS) / SIM_US);
    }
}

static const char svg_style[] =
    "<style>\n"
    "text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:11px;fill:#222}\n"
    ".host{font-size:15px;font-weight:bold;text-anchor:middle}\n"
    ".label{text-anchor:middle}.state{fill:#7b1fa2;text-anchor:middle;font-weight:bold}\n"
    ".tick{text-anchor:end;fill:#666}.axis{stroke:#999}.col{stroke:#bbb;stroke-width:2}\n"
    ".frame{stroke-width:1.6}.syn{stroke:#2e7d32}.fin{stroke:#f9a825}.rst{stroke:#c62828}\n"
    ".data{stroke:#1565c0}.ack{stroke:#555}.udp{stroke:#00838f}.icmp{stroke:#6a1b9a}\n"
    ".arp{stroke:#999;stroke-dasharray:4 3}.other{stroke:#999}\n"
    ".lost{stroke:#c62828;stroke-dasharray:6 3}.cross{stroke:#c62828;stroke-width:2.5}\n"
    ".linkev{stroke:#c62828;stroke-dasharray:2 2;fill:#c62828}\n"
    "</style>\n"
    "<defs><marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" "
    "orient=\"auto\"><path d=\"M0 0 L10 4 L0 8 z\" fill=\"#333\"/></marker></defs>\n";

int ladder_write_svg(const struct recording *r, const struct world_desc *w,
                     const struct ladder_opts *o, FILE *out)
{
    struct ladder_model m;
    if (!ladder_model_build(r, w, o, &m))
        return -1;
    struct svg g = {.out = out};
    if (!svg_scale(&g, &m)) {
        free(g.times);
        free(g.ys);
        ladder_model_free(&m);
        return -1;
    }
    double bottom = (g.n ? g.ys[g.n - 1] : SVG_TOP) + 40;
    unsigned width = SVG_LEFT + SVG_COLW * (m.n_cols ? m.n_cols : 1) + 20;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%.0f\" "
            "viewBox=\"0 0 %u %.0f\">\n%s<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, bottom + 20, width, bottom + 20, svg_style);
    for (uint32_t i = 0; i < m.n_cols; i++) {
        fprintf(out, "<text class=\"host\" x=\"%.1f\" y=\"%d\">", svg_x((int)i), SVG_TOP - 30);
        svg_text(out, m.cols[i]);
        fprintf(out,
                "</text>\n<line class=\"col\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                svg_x((int)i), SVG_TOP - 20, svg_x((int)i), bottom);
    }
    svg_axis(&g, bottom);
    for (uint32_t i = 0; i < m.n_rows; i++) {
        if (m.rows[i].kind == LROW_FRAME)
            svg_frame(&g, &m.rows[i]);
        else
            svg_note(&g, &m.rows[i], m.n_cols);
    }
    fputs("</svg>\n", out);
    free(g.times);
    free(g.ys);
    ladder_model_free(&m);
    return ferror(out) ? -1 : 0;
}
