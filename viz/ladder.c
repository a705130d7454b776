/* Frame labels and the text ladder. */
#include "ladder.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ladder_model.h"
#include "rec_decode.h"

/* Appends to a label; silently truncates at the buffer's end. */
static void lbl_add(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

static void label_tcp(const struct rec_frame *f, char *buf, size_t size)
{
    char flags[40];
    lbl_add(buf, size, "%s seq=%" PRIu32, rec_tcp_flags_str(f->flags, flags), f->rel_seq);
    if (f->flags & DEC_ACK)
        lbl_add(buf, size, " ack=%" PRIu32, f->rel_ack);
    if (f->flags & DEC_SYN) {
        lbl_add(buf, size, " win=%u", (unsigned)f->win);
        if (f->mss)
            lbl_add(buf, size, " mss=%u", (unsigned)f->mss);
        if (f->wscale >= 0)
            lbl_add(buf, size, " ws=%d", f->wscale);
        if (f->sack_perm)
            lbl_add(buf, size, " sack_perm");
        if (f->ts)
            lbl_add(buf, size, " ts");
    }
    if (f->len)
        lbl_add(buf, size, " len=%" PRIu32, f->len);
    if (f->n_sack)
        lbl_add(buf, size, " sack=%u", (unsigned)f->n_sack);
}

static void label_icmp(const struct rec_frame *f, char *buf, size_t size)
{
    switch (f->icmp_type) {
    case 8:
        lbl_add(buf, size, "echo request id=%u seq=%u", f->icmp_id, f->icmp_seq);
        break;
    case 0:
        lbl_add(buf, size, "echo reply id=%u seq=%u", f->icmp_id, f->icmp_seq);
        break;
    case 3:
        lbl_add(buf, size, "ICMP unreachable code=%u", f->icmp_code);
        break;
    case 11:
        lbl_add(buf, size, "ICMP time exceeded");
        break;
    default:
        lbl_add(buf, size, "ICMP type=%u code=%u", f->icmp_type, f->icmp_code);
    }
}

static void label_arp(const struct rec_frame *f, char *buf, size_t size)
{
    char a[16], b[16];
    const uint8_t *m = f->arp_sha;
    if (f->arp_op == 1)
        lbl_add(buf, size, "ARP who-has %s tell %s", rec_ip_str(f->arp_tpa, a),
                rec_ip_str(f->arp_spa, b));
    else
        lbl_add(buf, size, "ARP %s is-at %02x:%02x:%02x:%02x:%02x:%02x", rec_ip_str(f->arp_spa, a),
                m[0], m[1], m[2], m[3], m[4], m[5]);
}

const char *ladder_frame_label(const struct rec_frame *f, char *buf, size_t size)
{
    if (!size)
        return buf;
    buf[0] = 0;
    if (f->proto == DEC_TCP)
        label_tcp(f, buf, size);
    else if (f->proto == DEC_UDP)
        lbl_add(buf, size, "UDP %u->%u len=%" PRIu32, f->sport, f->dport, f->len);
    else if (f->proto == DEC_ICMP)
        label_icmp(f, buf, size);
    else if (f->proto == DEC_ARP)
        label_arp(f, buf, size);
    else
        lbl_add(buf, size, "%s%s len=%" PRIu32, f->malformed ? "malformed " : "",
                f->proto == DEC_IP ? "IPv4" : "frame", f->wire_len);
    return buf;
}

/* ---- text ---- */

#define TXT_PREFIX 12 /* "   20.000ms " */
#define TXT_MAXW   512

/* Cells hold an ASCII character or one of these drawing codes. */
enum { CELL_BAR = 1, CELL_LINE, CELL_RHEAD, CELL_LHEAD, CELL_LOST };

struct txt {
    FILE *out;
    const struct ladder_opts *o;
    uint32_t width;
    uint32_t x[LADDER_MAX_COLS];
    uint32_t n_cols;
    char cells[TXT_MAXW];
};

static void txt_blank_row(struct txt *t)
{
    memset(t->cells, ' ', t->width);
    for (uint32_t i = 0; i < t->n_cols; i++)
        t->cells[t->x[i]] = CELL_BAR;
}

static void txt_put(struct txt *t, uint32_t at, const char *s)
{
    for (; *s && at < t->width; s++, at++)
        t->cells[at] = *s;
}

static const char *txt_cell(const struct txt *t, char c, char one[2])
{
    static const char *const uni[] = {"", "\u2502", "\u2500", "\u25b6", "\u25c0", "\u2715"};
    static const char *const asc[] = {"", "|", "-", ">", "<", "x"};
    if (c >= CELL_BAR && c <= CELL_LOST)
        return t->o->unicode ? uni[(int)c] : asc[(int)c];
    one[0] = c;
    one[1] = 0;
    return one;
}

static void txt_emit(struct txt *t, const char *color)
{
    uint32_t end = t->width;
    while (end > 0 && t->cells[end - 1] == ' ')
        end--;
    if (color && t->o->color)
        fputs(color, t->out);
    for (uint32_t i = 0; i < end; i++) {
        char one[2];
        fputs(txt_cell(t, t->cells[i], one), t->out);
    }
    if (color && t->o->color)
        fputs("\x1b[0m", t->out);
    fputc('\n', t->out);
}

static void txt_time(struct txt *t, sim_time when)
{
    char s[32];
    snprintf(s, sizeof s, "%5" PRId64 ".%03" PRId64 "ms", when / SIM_MS, (when % SIM_MS) / SIM_US);
    txt_put(t, 0, s);
}

static const char *txt_color_of(const struct ladder_row *row)
{
    const struct rec_frame *f = row->frame;
    if (row->lost)
        return "\x1b[31m";
    if (f->proto != DEC_TCP)
        return f->proto == DEC_ARP ? "\x1b[90m" : "\x1b[36m";
    if (f->flags & DEC_RST)
        return "\x1b[91m";
    if (f->flags & (DEC_SYN | DEC_FIN))
        return (f->flags & DEC_SYN) ? "\x1b[32m" : "\x1b[33m";
    return f->len ? "\x1b[34m" : NULL;
}

/* When the frame arrived (or was lost), right of the last column if it fits. */
static void txt_arrival(struct txt *t, const struct ladder_row *row)
{
    char s[40];
    sim_time e = row->t_end;
    snprintf(s, sizeof s, "%s %" PRId64 ".%03" PRId64 "ms", row->lost ? "lost" : "rx", e / SIM_MS,
             (e % SIM_MS) / SIM_US);
    uint32_t at = t->x[t->n_cols - 1] + 2;
    if (row->t_end > row->t && at + strlen(s) <= t->width)
        txt_put(t, at, s);
}

static void txt_frame(struct txt *t, const struct ladder_row *row)
{
    char label[160];
    ladder_frame_label(row->frame, label, sizeof label);
    uint32_t xs = t->x[row->from];
    uint32_t xe = row->to >= 0 ? t->x[row->to] : (xs + 6 < t->width ? xs + 6 : xs);
    bool right = xe >= xs;
    if (row->lost)
        xe = (xs + xe) / 2;
    uint32_t lo = right ? xs + 1 : xe, hi = right ? xe : xs; /* arrow cells [lo, hi) */
    if (!right)
        lo++;
    size_t len = strlen(label);
    bool inside = hi > lo + len + 4;
    if (!inside) { /* the label gets a row of its own, above the arrow */
        txt_blank_row(t);
        uint32_t at = (right ? xs : xe) + 2;
        if (at + len > t->width)
            at = t->width > len + TXT_PREFIX ? t->width - (uint32_t)len : TXT_PREFIX;
        txt_put(t, at, label);
        txt_emit(t, txt_color_of(row));
    }
    txt_blank_row(t);
    txt_time(t, row->t);
    for (uint32_t i = lo; i < hi; i++)
        t->cells[i] = CELL_LINE;
    if (row->lost)
        t->cells[right ? hi : lo] = CELL_LOST;
    else
        t->cells[right ? hi - 1 : lo] = right ? CELL_RHEAD : CELL_LHEAD;
    if (inside)
        txt_put(t, lo + (hi - lo - (uint32_t)len) / 2, label);
    txt_arrival(t, row);
    txt_emit(t, txt_color_of(row));
}

static void txt_note(struct txt *t, const struct ladder_row *row, const char *color)
{
    char s[96];
    txt_blank_row(t);
    txt_time(t, row->t);
    if (row->kind == LROW_STATE) {
        snprintf(s, sizeof s, "[%s]", row->text);
        uint32_t len = (uint32_t)strlen(s), x = t->x[row->from];
        uint32_t at = x > len / 2 + TXT_PREFIX ? x - len / 2 : TXT_PREFIX;
        if (at + len > t->width)
            at = t->width > len ? t->width - len : 0;
        txt_put(t, at, s);
    } else {
        snprintf(s, sizeof s, "-- link %s %s --", row->link, row->text);
        txt_put(t, TXT_PREFIX + 1, s);
    }
    txt_emit(t, color);
}

static void txt_header(struct txt *t, const struct ladder_model *m)
{
    memset(t->cells, ' ', t->width);
    for (uint32_t i = 0; i < m->n_cols; i++) {
        uint32_t len = (uint32_t)strlen(m->cols[i]);
        uint32_t at = t->x[i] >= len / 2 ? t->x[i] - len / 2 : 0;
        txt_put(t, at, m->cols[i]);
    }
    txt_emit(t, NULL);
    txt_blank_row(t);
    txt_emit(t, NULL);
}

int ladder_write_text(const struct recording *r, const struct world_desc *w,
                      const struct ladder_opts *o, FILE *out)
{
    struct ladder_model m;
    if (!ladder_model_build(r, w, o, &m))
        return -1;
    struct txt t = {.out = out, .o = o, .width = o->width ? o->width : 80, .n_cols = m.n_cols};
    if (t.width > TXT_MAXW)
        t.width = TXT_MAXW;
    if (t.width < TXT_PREFIX + 4 * (m.n_cols + 1))
        t.width = TXT_PREFIX + 4 * (m.n_cols + 1);
    uint32_t colw = m.n_cols ? (t.width - TXT_PREFIX) / m.n_cols : 1;
    for (uint32_t i = 0; i < m.n_cols; i++)
        t.x[i] = TXT_PREFIX + colw * i + colw / 2;
    txt_header(&t, &m);
    for (uint32_t i = 0; i < m.n_rows; i++) {
        const struct ladder_row *row = &m.rows[i];
        if (row->kind == LROW_FRAME)
            txt_frame(&t, row);
        else
            txt_note(&t, row, row->kind == LROW_STATE ? "\x1b[35m" : "\x1b[31m");
    }
    ladder_model_free(&m);
    return ferror(out) ? -1 : 0;
}
