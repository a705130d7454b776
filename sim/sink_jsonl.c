/* The JSON Lines trace (SPEC §4): one JSON object per event, one line each.
 *
 * The key order is part of the user-facing contract (scripts and golden
 * digests depend on it), so it is fixed and listed here.  Keys in [brackets]
 * appear only when the condition after them holds; a string key whose value is
 * NULL is left out.  All numbers are integers (times in nanoseconds, sizes in
 * bytes); there are no floats.
 *
 *   every line   "t", "ev", "host"
 *
 *   tx, rx, drop "link", "iface", ["id", "len" with a frame], then with a frame
 *                the decoded summary as flat keys:
 *                  "proto"  arp | icmp | udp | tcp | ip | other
 *                  ARP      "op" (request | reply | the number), "spa", "tpa"
 *                  IPv4     "src", "dst", "ttl", ["frag", "mf" for a fragment]
 *                  ICMP     "type", "code", ["icmp_id", "icmp_seq" for echo],
 *                           ["mtu" for fragmentation needed]
 *                  UDP      "sport", "dport", "plen"
 *                  TCP      "sport", "dport", "flags", "seq", ["ack" with ACK],
 *                           "plen", "win", ["mss"], ["ws"], ["sack_perm"],
 *                           ["tsval", "tsecr"], ["sack": [[left,right],...]]
 *                ["malformed": true], ["dup": true on rx], "reason" (drops)
 *                A drop without a frame has only "link", "iface" and "reason".
 *   state        "conn", "from", "to", "cause"
 *   app          "app", "conn", "what", "bytes", "total", "detail",
 *                ["intact" when what is "deliver"], ["rtt" when not 0]
 *   timer        "conn", "timer", "backoff", ["rto" when not 0]
 *   cc           "conn", "cwnd", "ssthresh", "srtt", "rttvar", "rto"
 *   retx         "conn", "seq", "len", "cause"
 *   link         "link", "what", "detail"
 *   expect       "index", "ok", "message"
 *
 * TCP "seq", "ack" and SACK edges are relative to each direction's initial
 * sequence number, as Wireshark shows them; "ack" (and SACK edges) count in the
 * reverse direction's space.  "win" is the raw header field (unscaled);
 * "plen" is the payload in this frame; "len" is the whole frame on the wire.
 *
 * Strings are escaped per RFC 8259 §7: quote, backslash and control characters
 * are escaped, other bytes (UTF-8) pass through unchanged. */
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame.h"
#include "sinks.h"

#define LINE_STACK_BUF 1024

struct jsonl_sink {
    struct trace_sink base; /* first: the bus hands us this pointer */
    FILE *out;
    bool digest;
    bool failed; /* a write or allocation failed */
    bool finished;
    struct sha256_ctx sha;
    struct seqrel rel;
    char final_digest[72];
};

/* ---- a bounded writer that still counts what it could not store ---- */

struct jbuf {
    char *p;
    size_t cap; /* bytes available, including room for the final NUL */
    size_t len; /* bytes the full line needs (may exceed cap) */
};

static void jb_bytes(struct jbuf *b, const char *s, size_t n)
{
    if (b->len < b->cap) {
        size_t room = b->cap - b->len;
        memcpy(b->p + b->len, s, n < room ? n : room);
    }
    b->len += n;
}

static void jb_lit(struct jbuf *b, const char *s)
{
    jb_bytes(b, s, strlen(s));
}

static void jb_key(struct jbuf *b, const char *key)
{
    jb_lit(b, ",\"");
    jb_lit(b, key);
    jb_lit(b, "\":");
}

/* RFC 8259 §7: '"', '\\' and U+0000..U+001F must be escaped; the short forms
 * are used where they exist. */
static void jb_escaped(struct jbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jb_lit(b, "\"");
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            jb_bytes(b, run, (size_t)(s - run));
            jb_lit(b, esc);
            run = s + 1;
        }
    }
    jb_bytes(b, run, (size_t)(s - run));
    jb_lit(b, "\"");
}

static void jb_str(struct jbuf *b, const char *key, const char *val)
{
    if (!val)
        return;
    jb_key(b, key);
    jb_escaped(b, val);
}

static void jb_u64(struct jbuf *b, const char *key, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, v);
    jb_key(b, key);
    jb_bytes(b, num, (size_t)n);
}

static void jb_i64(struct jbuf *b, const char *key, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    jb_key(b, key);
    jb_bytes(b, num, (size_t)n);
}

static void jb_bool(struct jbuf *b, const char *key, bool v)
{
    jb_key(b, key);
    jb_lit(b, v ? "true" : "false");
}

static void jb_ip(struct jbuf *b, const char *key, uint32_t ip)
{
    char s[16];
    jb_str(b, key, dec_ip_str(ip, s));
}

/* ---- frame summaries ---- */

/* What the frame decodes to, computed once per event: the relative sequence
 * numbers come from the sink's table, which must see each frame only once. */
struct frame_view {
    const struct frame *f;
    struct frame_summary s;
    uint32_t rel_seq, rel_ack;
};

static bool is_ipv4(enum dec_proto p)
{
    return p == DEC_IP || p == DEC_ICMP || p == DEC_UDP || p == DEC_TCP;
}

static void view_frame(struct jsonl_sink *j, const struct frame *f, struct frame_view *v)
{
    memset(v, 0, sizeof *v);
    v->f = f;
    if (!frame_decode(f->data, f->len, &v->s))
        v->s.malformed = true;
    if (v->s.proto == DEC_TCP)
        seqrel_observe(&j->rel, &v->s, &v->rel_seq, &v->rel_ack);
}

static void put_arp(struct jbuf *b, const struct frame_summary *s)
{
    char op[8];
    const char *name = s->arp_op == 1 ? "request" : s->arp_op == 2 ? "reply" : NULL;
    if (!name) {
        snprintf(op, sizeof op, "%u", (unsigned)s->arp_op);
        name = op;
    }
    jb_str(b, "op", name);
    jb_ip(b, "spa", s->arp_spa);
    jb_ip(b, "tpa", s->arp_tpa);
}

static void put_icmp(struct jbuf *b, const struct frame_summary *s)
{
    jb_u64(b, "type", s->icmp_type);
    jb_u64(b, "code", s->icmp_code);
    if (s->icmp_type == 0 || s->icmp_type == 8) { /* echo reply / request */
        jb_u64(b, "icmp_id", s->icmp_id);
        jb_u64(b, "icmp_seq", s->icmp_seq);
    }
    if (s->icmp_type == 3 && s->icmp_code == 4) /* RFC 1191: fragmentation needed */
        jb_u64(b, "mtu", s->icmp_mtu);
}

/* SACK edges are sequence numbers of the reverse direction, like the ack
 * field: they are shifted by the same base. */
static void put_sack(struct jbuf *b, const struct frame_view *v)
{
    const struct frame_summary *s = &v->s;
    uint32_t base = s->ack - v->rel_ack;
    jb_key(b, "sack");
    jb_lit(b, "[");
    for (unsigned i = 0; i < s->n_sack && i < 4; i++) {
        char pair[32];
        int n = snprintf(pair, sizeof pair, "%s[%" PRIu32 ",%" PRIu32 "]", i ? "," : "",
                         (uint32_t)(s->sack[i][0] - base), (uint32_t)(s->sack[i][1] - base));
        jb_bytes(b, pair, (size_t)n);
    }
    jb_lit(b, "]");
}

static void put_tcp(struct jbuf *b, const struct frame_view *v)
{
    const struct frame_summary *s = &v->s;
    char flags[40];
    jb_u64(b, "sport", s->sport);
    jb_u64(b, "dport", s->dport);
    jb_str(b, "flags", dec_tcp_flags_str(s->flags, flags));
    jb_u64(b, "seq", v->rel_seq);
    if (s->flags & DEC_ACK)
        jb_u64(b, "ack", v->rel_ack);
    jb_u64(b, "plen", s->payload_len);
    jb_u64(b, "win", s->win);
    if (s->opt_mss)
        jb_u64(b, "mss", s->opt_mss);
    if (s->opt_wscale >= 0)
        jb_u64(b, "ws", (uint64_t)s->opt_wscale);
    if (s->opt_sack_perm)
        jb_bool(b, "sack_perm", true);
    if (s->opt_ts) {
        jb_u64(b, "tsval", s->ts_val);
        jb_u64(b, "tsecr", s->ts_ecr);
    }
    if (s->n_sack)
        put_sack(b, v);
}

static void put_summary(struct jbuf *b, const struct frame_view *v)
{
    const struct frame_summary *s = &v->s;
    jb_str(b, "proto", dec_proto_name(s->proto));
    if (s->proto == DEC_ARP) {
        put_arp(b, s);
        return;
    }
    if (!is_ipv4(s->proto))
        return;
    jb_ip(b, "src", s->ip_src);
    jb_ip(b, "dst", s->ip_dst);
    jb_u64(b, "ttl", s->ttl);
    if (s->fragment) {
        jb_u64(b, "frag", s->frag_offset);
        jb_bool(b, "mf", s->mf);
    }
    if (s->proto == DEC_ICMP)
        put_icmp(b, s);
    else if (s->proto == DEC_UDP) {
        jb_u64(b, "sport", s->sport);
        jb_u64(b, "dport", s->dport);
        jb_u64(b, "plen", s->payload_len);
    } else if (s->proto == DEC_TCP)
        put_tcp(b, v);
}

static void put_frame_event(struct jbuf *b, const struct trace_event *e, const struct frame_view *v)
{
    jb_str(b, "link", e->link);
    jb_str(b, "iface", e->ifname);
    if (v) {
        jb_u64(b, "id", v->f->id);
        jb_u64(b, "len", v->f->len);
        put_summary(b, v);
        if (v->s.malformed)
            jb_bool(b, "malformed", true);
    }
    if (e->kind == TRACE_RX && e->dup)
        jb_bool(b, "dup", true);
    if (e->kind == TRACE_DROP)
        jb_str(b, "reason", e->reason);
}

/* ---- the other kinds ---- */

static void put_app(struct jbuf *b, const struct trace_event *e)
{
    jb_str(b, "app", e->app);
    jb_str(b, "conn", e->conn);
    jb_str(b, "what", e->what);
    jb_i64(b, "bytes", e->bytes);
    jb_i64(b, "total", e->total);
    jb_str(b, "detail", e->detail);
    if (e->what && strcmp(e->what, "deliver") == 0)
        jb_bool(b, "intact", e->intact);
    if (e->rtt)
        jb_i64(b, "rtt", e->rtt);
}

static void put_kind_fields(struct jbuf *b, const struct trace_event *e, const struct frame_view *v)
{
    switch (e->kind) {
    case TRACE_TX:
    case TRACE_RX:
    case TRACE_DROP:
        put_frame_event(b, e, v);
        break;
    case TRACE_STATE:
        jb_str(b, "conn", e->conn);
        jb_str(b, "from", e->from);
        jb_str(b, "to", e->to);
        jb_str(b, "cause", e->cause);
        break;
    case TRACE_APP:
        put_app(b, e);
        break;
    case TRACE_TIMER:
        jb_str(b, "conn", e->conn);
        jb_str(b, "timer", e->timer);
        jb_u64(b, "backoff", e->backoff);
        if (e->rto)
            jb_i64(b, "rto", e->rto);
        break;
    case TRACE_CC:
        jb_str(b, "conn", e->conn);
        jb_u64(b, "cwnd", e->cwnd);
        jb_u64(b, "ssthresh", e->ssthresh);
        jb_i64(b, "srtt", e->srtt);
        jb_i64(b, "rttvar", e->rttvar);
        jb_i64(b, "rto", e->rto);
        break;
    case TRACE_RETX:
        jb_str(b, "conn", e->conn);
        jb_u64(b, "seq", e->seq);
        jb_u64(b, "len", e->len);
        jb_str(b, "cause", e->cause);
        break;
    case TRACE_LINK:
        jb_str(b, "link", e->link);
        jb_str(b, "what", e->what);
        jb_str(b, "detail", e->detail);
        break;
    case TRACE_EXPECT:
        jb_i64(b, "index", e->index);
        jb_bool(b, "ok", e->ok);
        jb_str(b, "message", e->message);
        break;
    case TRACE_KIND_COUNT:
        break;
    }
}

/* Renders the line into b; b->len is the full length needed.  Pure: it can
 * run again with a larger buffer and produce the same bytes. */
static void render(struct jbuf *b, const struct trace_event *e, const struct frame_view *v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, e->t);
    jb_lit(b, "{\"t\":");
    jb_bytes(b, t, (size_t)n);
    jb_str(b, "ev", trace_kind_name(e->kind));
    jb_str(b, "host", e->host);
    put_kind_fields(b, e, v);
    jb_lit(b, "}\n");
}

static bool is_frame_kind(enum trace_kind k)
{
    return k == TRACE_TX || k == TRACE_RX || k == TRACE_DROP;
}

/* Decodes the event's frame (if any) into *v; returns v or NULL. */
static const struct frame_view *prepare(struct jsonl_sink *j, const struct trace_event *e,
                                        struct frame_view *v)
{
    if (!is_frame_kind(e->kind) || !e->frame)
        return NULL;
    view_frame(j, e->frame, v);
    return v;
}

size_t jsonl_format(struct jsonl_sink *j, const struct trace_event *e, char *buf, size_t cap)
{
    struct frame_view view;
    const struct frame_view *v = prepare(j, e, &view);
    if (cap == 0)
        return 0;
    struct jbuf b = {.p = buf, .cap = cap - 1};
    render(&b, e, v);
    size_t n = b.len < b.cap ? b.len : b.cap;
    buf[n] = '\0';
    return n;
}

/* ---- the sink ---- */

static void emit_bytes(struct jsonl_sink *j, const char *p, size_t n)
{
    if (j->digest)
        sha256_update(&j->sha, n, (const uint8_t *)p);
    if (j->out && fwrite(p, 1, n, j->out) != n)
        j->failed = true;
}

static void on_event(struct trace_sink *s, const struct trace_event *e)
{
    struct jsonl_sink *j = (struct jsonl_sink *)s;
    struct frame_view view;
    const struct frame_view *v = prepare(j, e, &view);
    char stack[LINE_STACK_BUF];
    struct jbuf b = {.p = stack, .cap = sizeof stack};
    render(&b, e, v);
    if (b.len <= b.cap) {
        emit_bytes(j, stack, b.len);
        return;
    }
    /* A long line (a large detail or message): render again on the heap. */
    char *heap = malloc(b.len);
    if (!heap) {
        j->failed = true;
        return;
    }
    struct jbuf big = {.p = heap, .cap = b.len};
    render(&big, e, v);
    emit_bytes(j, heap, big.len);
    free(heap);
}

struct jsonl_sink *jsonl_sink_create(FILE *out, bool digest)
{
    struct jsonl_sink *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->base.event = on_event;
    j->base.mask = TRACE_MASK_ALL;
    j->out = out;
    j->digest = digest;
    sha256_init(&j->sha);
    seqrel_init(&j->rel);
    return j;
}

struct trace_sink *jsonl_sink_base(struct jsonl_sink *j)
{
    return &j->base;
}

static void hex_digest(struct sha256_ctx *sha, char out[72])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(sha, sizeof d, d);
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < sizeof d; i++) {
        out[7 + 2 * i] = hex[d[i] >> 4];
        out[8 + 2 * i] = hex[d[i] & 15];
    }
    out[7 + 2 * sizeof d] = '\0';
}

/* Flushes the output and fixes the digest; later calls return the same
 * digest.  False if any write (or the flush) failed. */
bool jsonl_sink_finish(struct jsonl_sink *j, char digest[72])
{
    if (!j->finished) {
        j->finished = true;
        if (j->digest)
            hex_digest(&j->sha, j->final_digest);
        if (j->out && (fflush(j->out) != 0 || ferror(j->out)))
            j->failed = true;
    }
    if (digest)
        memcpy(digest, j->final_digest, sizeof j->final_digest);
    return !j->failed;
}

void jsonl_sink_destroy(struct jsonl_sink *j)
{
    if (!j)
        return;
    seqrel_destroy(&j->rel);
    free(j);
}
