/* The sender's SACK scoreboard and SACK-based loss recovery (RFC 6675),
 * simplified like Linux's: every hole below the highest SACKed byte is taken
 * as lost once recovery has started (IsLost with DupThresh reached). */
#include "tcp_priv.h"

void tcp_sack_clear(struct tcp_sock *s)
{
    s->x->n_sacked = 0;
}

static void drop_acked_ranges(struct tcp_sock *s)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->x->n_sacked; i++) {
        struct tcp_range r = s->x->sacked[i];
        if (SEQ_LEQ(r.end, s->snd_una))
            continue;
        if (SEQ_LT(r.start, s->snd_una))
            r.start = s->snd_una;
        s->x->sacked[k++] = r;
    }
    s->x->n_sacked = k;
}

/* Inserts [a, b) keeping the scoreboard sorted and merged. */
static void insert_range(struct tcp_sock *s, uint32_t a, uint32_t b)
{
    struct tcp_range out[TCP_OOO_MAX + 1];
    uint32_t n = 0;
    bool placed = false;
    for (uint32_t i = 0; i < s->x->n_sacked; i++) {
        struct tcp_range r = s->x->sacked[i];
        if (SEQ_LT(r.end, a)) {
            out[n++] = r;
        } else if (SEQ_GT(r.start, b)) {
            if (!placed)
                out[n++] = (struct tcp_range){a, b}, placed = true;
            out[n++] = r;
        } else {
            a = SEQ_LT(r.start, a) ? r.start : a;
            b = SEQ_GT(r.end, b) ? r.end : b;
        }
    }
    if (!placed)
        out[n++] = (struct tcp_range){a, b};
    /* keep the lowest ranges: they decide which holes are resent first */
    s->x->n_sacked = n < TCP_OOO_MAX ? n : TCP_OOO_MAX;
    for (uint32_t i = 0; i < s->x->n_sacked; i++)
        s->x->sacked[i] = out[i];
}

void tcp_sack_update(struct tcp_sock *s, const struct tcp_seg *seg)
{
    if (!s->sack_ok)
        return;
    for (uint32_t i = 0; i < seg->n_sack; i++) {
        uint32_t a = seg->sack[i].start, b = seg->sack[i].end;
        /* RFC 2018 §4: ignore blocks outside what is outstanding (and D-SACKs). */
        if (SEQ_LEQ(b, s->snd_una) || SEQ_GT(b, s->snd_max))
            continue;
        insert_range(s, SEQ_LT(a, s->snd_una) ? s->snd_una : a, b);
    }
    drop_acked_ranges(s);
}

uint32_t tcp_sack_bytes(const struct tcp_sock *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->x->n_sacked; i++)
        n += s->x->sacked[i].end - s->x->sacked[i].start;
    return n;
}

static uint32_t high_sacked(const struct tcp_sock *s)
{
    return s->x->n_sacked ? s->x->sacked[s->x->n_sacked - 1].end : s->snd_una;
}

/* RFC 6675 §4 pipe: bytes believed in the network.  Holes below the highest
 * SACK count as lost unless already retransmitted. */
uint32_t tcp_sack_pipe(const struct tcp_sock *s)
{
    uint32_t hi = high_sacked(s);
    uint32_t pipe = s->snd_nxt - hi; /* above every SACK block: in flight */
    uint32_t pos = s->snd_una;
    for (uint32_t i = 0; i < s->x->n_sacked; i++) {
        uint32_t hole_end = s->x->sacked[i].start;
        if (SEQ_LT(pos, s->x->high_rxt)) {
            uint32_t re = SEQ_LT(s->x->high_rxt, hole_end) ? s->x->high_rxt : hole_end;
            if (SEQ_GT(re, pos))
                pipe += re - pos; /* retransmitted hole bytes are in flight again */
        }
        pos = s->x->sacked[i].end;
    }
    return pipe;
}

/* NextSeg (RFC 6675 §4) rule 1: the first un-SACKed, not yet resent byte
 * below the highest SACK; returns its hole's length (0 when none). */
static uint32_t next_hole(const struct tcp_sock *s, uint32_t *start)
{
    uint32_t pos = s->snd_una;
    for (uint32_t i = 0; i < s->x->n_sacked; i++) {
        uint32_t from = SEQ_LT(pos, s->x->high_rxt) ? s->x->high_rxt : pos;
        if (SEQ_LT(from, s->x->sacked[i].start)) {
            *start = from;
            return s->x->sacked[i].start - from;
        }
        pos = s->x->sacked[i].end;
    }
    return 0;
}

static uint32_t resend_range(struct tcp_sock *s, uint32_t seq, uint32_t len, sim_time now)
{
    uint32_t data_end = s->snd_una + s->x->snd.len;
    if (SEQ_GEQ(seq, data_end))
        return 0;
    if (len > data_end - seq)
        len = data_end - seq;
    if (len > s->mss)
        len = s->mss;
    tcp_emit(s, seq, TCP_ACK, len, now);
    tcp_note_retransmit(s, seq, len, "sack", now);
    return len;
}

bool tcp_sack_output(struct tcp_sock *s, sim_time now)
{
    if (!s->sack_ok || !s->x->in_recovery)
        return false;
    if (SEQ_LT(s->x->high_rxt, s->snd_una))
        s->x->high_rxt = s->snd_una;
    for (int guard = 0; guard < 64; guard++) {
        uint32_t pipe = tcp_sack_pipe(s);
        if (pipe + s->mss > s->cwnd)
            break;
        uint32_t start, len = next_hole(s, &start);
        if (len) {
            uint32_t sent = resend_range(s, start, len, now);
            if (!sent)
                break;
            s->x->high_rxt = start + sent;
            continue;
        }
        break; /* rule 2: new data goes through the normal output path */
    }
    return true;
}
