/* Segments on the wire: parse into struct tcp_seg, emit from a socket's state.
 * The checksum covers the IPv4 pseudo-header (RFC 9293 §3.1). */
#include <string.h>

#include "tcp_priv.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *l4, uint32_t len)
{
    return inet_csum_fold(inet_csum_add(inet_csum_pseudo(src, dst, IP_PROTO_TCP, len), l4, len));
}

static void parse_sack(struct tcp_seg *seg, const uint8_t *p, uint32_t n)
{
    for (uint32_t k = 0; k < n && seg->n_sack < 4; k++) {
        uint32_t a = rd32(p + 8 * k), b = rd32(p + 8 * k + 4);
        if (SEQ_LT(a, b))
            seg->sack[seg->n_sack++] = (struct tcp_range_pair){a, b};
    }
}

/* Options (RFC 9293 §3.2, RFC 7323, RFC 2018): a malformed length ends parsing. */
static void parse_options(struct tcp_seg *seg, const uint8_t *p, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || p[i + 1] < 2 || i + p[i + 1] > n)
            return;
        uint8_t olen = p[i + 1];
        if (kind == 2 && olen == 4)
            seg->mss = rd16(p + i + 2);
        else if (kind == 3 && olen == 3)
            seg->wscale = (int8_t)(p[i + 2] > 14 ? 14 : p[i + 2]); /* RFC 7323 §2.3 */
        else if (kind == 4 && olen == 2)
            seg->sack_ok = true;
        else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0)
            parse_sack(seg, p + i + 2, (olen - 2u) / 8);
        else if (kind == 8 && olen == 10) {
            seg->has_ts = true;
            seg->tsval = rd32(p + i + 2);
            seg->tsecr = rd32(p + i + 6);
        }
        i += olen;
    }
}

/* True when the header's length fields fit the segment. */
static bool header_fits(const uint8_t *l4, uint32_t len)
{
    if (len < TCP_HLEN)
        return false;
    uint32_t off = (uint32_t)(l4[12] >> 4) * 4;
    return off >= TCP_HLEN && off <= len;
}

bool tcp_parse_trusted(struct tcp_seg *seg, uint32_t src, uint32_t dst, const uint8_t *l4,
                       uint32_t len)
{
    if (!header_fits(l4, len))
        return false;
    uint32_t off = (uint32_t)(l4[12] >> 4) * 4;
    *seg = (struct tcp_seg){
        .src = src,
        .dst = dst,
        .sport = rd16(l4),
        .dport = rd16(l4 + 2),
        .seq = rd32(l4 + 4),
        .ack = rd32(l4 + 8),
        .flags = l4[13] & 0x3f,
        .wnd = rd16(l4 + 14),
        .data = l4 + off,
        .len = len - off,
        .wscale = -1,
    };
    parse_options(seg, l4 + TCP_HLEN, off - TCP_HLEN);
    return true;
}

bool tcp_parse(struct tcp_seg *seg, uint32_t src, uint32_t dst, const uint8_t *l4, uint32_t len,
               bool *bad_csum)
{
    *bad_csum = header_fits(l4, len) && tcp_checksum(src, dst, l4, len) != 0;
    return !*bad_csum && tcp_parse_trusted(seg, src, dst, l4, len);
}

static uint32_t ts_now(const struct tcp_sock *s, sim_time now)
{
    return (uint32_t)(now / SIM_MS) + s->ts_offset;
}

/* RFC 2018 §3-4: as many blocks as fit, the most recently received first. */
static uint32_t write_sack_blocks(const struct tcp_sock *s, uint8_t *p, uint32_t room)
{
    uint32_t max = room < 12 ? 0 : (room - 4) / 8;
    uint32_t n = s->x->n_ooo < max ? s->x->n_ooo : max;
    if (!n)
        return 0;
    p[0] = 1;
    p[1] = 1;
    p[2] = 5;
    p[3] = (uint8_t)(2 + 8 * n);
    for (uint32_t i = 0; i < n; i++) {
        wr32(p + 4 + 8 * i, s->x->ooo[i].start);
        wr32(p + 8 + 8 * i, s->x->ooo[i].end);
    }
    return 4 + 8 * n;
}

/* Option space left for SACK blocks: a segment's options and data must fit
 * in what the path carries (the MSS plus the timestamp option it was reduced
 * by), so a full-sized data segment carries no SACK blocks (RFC 6691). */
static uint32_t sack_room(const struct tcp_sock *s, uint32_t used, uint32_t len)
{
    uint32_t fits = s->mss + (s->ts_ok ? TCP_TS_OPTLEN : 0u);
    uint32_t room = fits > used + len ? fits - used - len : 0;
    return room < TCP_MAX_OPT - used ? room : TCP_MAX_OPT - used;
}

/* Writes the options for this segment; returns their length (multiple of 4). */
static uint32_t write_options(struct tcp_sock *s, uint8_t *p, uint8_t flags, uint32_t len,
                              sim_time now)
{
    uint32_t n = 0;
    const struct tcp_config *cfg = s->th->cfg;
    bool syn = flags & TCP_SYN;
    if (syn) {
        p[n++] = 2;
        p[n++] = 4;
        wr16(p + n, (uint16_t)cfg->mss); /* ours; the effective MSS is the minimum */
        n += 2;
    }
    bool ts = syn ? (cfg->timestamps && (!(flags & TCP_ACK) || s->ts_ok)) : s->ts_ok;
    if (ts && !(flags & TCP_RST)) {
        p[n++] = 1;
        p[n++] = 1;
        p[n++] = 8;
        p[n++] = 10;
        wr32(p + n, ts_now(s, now));
        wr32(p + n + 4, (flags & TCP_ACK) ? s->ts_recent : 0);
        n += 8;
    }
    bool ws = syn && cfg->window_scale && (!(flags & TCP_ACK) || s->x->ws_ok);
    if (ws) {
        p[n++] = 1;
        p[n++] = 3;
        p[n++] = 3;
        p[n++] = s->rcv_wscale;
    }
    bool sack_perm = syn && cfg->sack && (!(flags & TCP_ACK) || s->sack_ok);
    if (sack_perm) {
        p[n++] = 1;
        p[n++] = 1;
        p[n++] = 4;
        p[n++] = 2;
    }
    if (!syn && s->sack_ok && s->x && s->x->n_ooo && (flags & TCP_ACK))
        n += write_sack_blocks(s, p + n, sack_room(s, n, len));
    return n;
}

static void write_header(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                         uint8_t flags, uint16_t wnd, uint32_t optlen)
{
    wr16(p, sport);
    wr16(p + 2, dport);
    wr32(p + 4, seq);
    wr32(p + 8, ack);
    p[12] = (uint8_t)(((TCP_HLEN + optlen) / 4) << 4);
    p[13] = flags;
    wr16(p + 14, wnd);
    wr16(p + 16, 0);
    wr16(p + 18, 0);
}

/* Hands a frame with a finished TCP segment of l4len bytes to the output hook;
 * the hook (ip4_send) owns the frame from then on.  The checksum sums the
 * first `summed` bytes and adds payload_sum for the rest (the payload starts
 * at an even offset, so its sum is position-independent). */
static void send_frame(struct tcp_host *th, struct frame *f, uint32_t src, uint32_t dst,
                       uint32_t l4len, uint32_t summed, uint32_t payload_sum)
{
    uint8_t *p = f->data + IP4_L4_OFF;
    uint32_t sum = inet_csum_add(inet_csum_pseudo(src, dst, IP_PROTO_TCP, l4len), p, summed);
    wr16(p + 16, inet_csum_fold(sum + payload_sum));
    f->csum_ok = true;
    th->c.segs_out++;
    th->output(th->h, f, src, dst, IP_PROTO_TCP, &(struct ip4_send_opts){.df = true});
}

static struct frame *alloc_segment(struct tcp_host *th, uint32_t l4len)
{
    struct frame *f =
        th->bound ? ip4_alloc(th->h, l4len) : frame_alloc(th->h->frames, IP4_L4_OFF + l4len);
    if (f)
        f->len = IP4_L4_OFF + l4len;
    return f;
}

void tcp_emit(struct tcp_sock *s, uint32_t seq, uint8_t flags, uint32_t len, sim_time now)
{
    uint8_t opts[TCP_MAX_OPT];
    uint32_t optlen = write_options(s, opts, flags, len, now);
    struct frame *f = alloc_segment(s->th, TCP_HLEN + optlen + len);
    if (!f)
        return; /* pool exhausted: the retransmission timer recovers */
    uint8_t *p = f->data + IP4_L4_OFF;
    uint32_t wnd = (flags & TCP_SYN) ? tcp_rcv_window(s) : tcp_rcv_window_to_advertise(s);
    uint16_t wfield;
    if (flags & TCP_SYN) {
        wfield = (uint16_t)(wnd > 65535 ? 65535 : wnd); /* RFC 7323 §2.2: SYN never scaled */
        if (flags & TCP_ACK) /* SYN,ACK: RCV.NXT is known, so is the edge offered */
            s->rcv_adv = s->rcv_nxt + wfield;
    } else {
        uint32_t w = wnd >> s->rcv_wscale;
        wfield = (uint16_t)(w > 65535 ? 65535 : w);
        s->rcv_adv = s->rcv_nxt + ((uint32_t)wfield << s->rcv_wscale);
    }
    uint32_t ack = (flags & TCP_ACK) ? s->rcv_nxt : 0;
    write_header(p, s->lport, s->rport, seq, ack, flags, wfield, optlen);
    memcpy(p + TCP_HLEN, opts, optlen);
    uint32_t payload_sum = len ? tcp_snd_copy(s, seq - s->snd_una, p + TCP_HLEN + optlen, len) : 0;
    s->segs_out++;
    if (flags & TCP_ACK) {
        s->rcv_wup = s->rcv_nxt;
        if (s->x) { /* else released in TIME_WAIT, with no ACK pending */
            s->x->unacked_segs = 0;
            tcp_timer_stop(s, TCP_T_DELACK);
        }
    }
    send_frame(s->th, f, s->lip, s->rip, TCP_HLEN + optlen + len, TCP_HLEN + optlen, payload_sum);
}

void tcp_emit_reset(struct tcp_host *th, const struct tcp_seg *seg)
{
    if (seg->flags & TCP_RST)
        return; /* never answer a RST (§3.10.7.1) */
    struct frame *f = alloc_segment(th, TCP_HLEN);
    if (!f)
        return;
    uint8_t *p = f->data + IP4_L4_OFF;
    /* §3.10.7.1: if the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>; otherwise
     * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (SYN and FIN count). */
    if (seg->flags & TCP_ACK)
        write_header(p, seg->dport, seg->sport, seg->ack, 0, TCP_RST, 0, 0);
    else {
        uint32_t seglen = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
        write_header(p, seg->dport, seg->sport, 0, seg->seq + seglen, TCP_RST | TCP_ACK, 0, 0);
    }
    th->c.rst_out++;
    send_frame(th, f, seg->dst, seg->src, TCP_HLEN, TCP_HLEN, 0);
}
