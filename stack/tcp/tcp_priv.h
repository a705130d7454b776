/* Internals shared by the TCP files: the connection struct and the
 * per-host TCP state.  Split by concern:
 *   tcp_wire.c     parse/emit segments, options, checksum
 *   tcp_in.c       SEGMENT ARRIVES (RFC 9293 §3.10.7), one function per state group
 *   tcp_ack.c      ACK processing, RTT (RFC 6298), NewReno (RFC 5681, 6582)
 *   tcp_cong.c     struct tcp_cc_ops: NewReno and CUBIC (RFC 9438), growth and decrease
 *   tcp_recovery.c SACK scoreboard and SACK-based recovery (RFC 6675)
 *   tcp_out.c      what to send: data, Nagle, SWS avoidance, ACKs, retransmission
 *   tcp_timer.c    RTO, persist, delayed ACK, TIME_WAIT, keepalive
 *   tcp_sock.c     the socket API, listeners, app events, the byte rings
 *   tcp_state.c    tcp_set_state, trace events, state names
 *   tcp_isn.c      RFC 6528 initial sequence numbers
 *   tcp_attach.c   binding to the host's IP layer (ip4_alloc/ip4_send, proto 6)
 *
 * Decisions where the RFCs leave a choice:
 *  - on_closed fires when the connection reaches CLOSED, i.e. after TIME_WAIT
 *    for the side that closed first (Linux detaches the app at close()).
 *  - A RST for a passive child in SYN_RCVD discards the child like Linux's
 *    request sock: traced SYN_RCVD -> CLOSED (cause "rx RST"), never reported
 *    to the app; the listener stays in LISTEN.  Closing a listener resets its
 *    not-yet-accepted children.
 *  - A child counts against the listener's backlog from its SYN until it is
 *    accepted (at ESTABLISHED).
 *  - Window-scale shift: the smallest that lets the whole rcvbuf be advertised.
 *  - After an RTO the sender goes back to SND.UNA and resends in slow start
 *    (Linux marks everything outstanding lost); the SACK scoreboard is cleared.
 *  - Keepalive probes are SEG.SEQ = SND.UNA-1 with no data, 9 probes, one
 *    `keepalive` interval apart.
 *  - RFC 5961: a RST in the window but not at RCV.NXT, any SYN in a
 *    synchronized state (whatever its sequence number, as Linux) and an ACK
 *    outside [SND.UNA - MAX.SND.WND, SND.NXT] get a challenge ACK, at most
 *    TCP_CHALLENGE_ACK_LIMIT per second per host (Linux's limit, without its
 *    random jitter so runs stay deterministic).  Before that budget, like
 *    Linux's tcp_oow_rate_limited (RFC 5961 §7 leaves the limit open), each
 *    socket sends at most one duplicate ACK per 500 ms in answer to
 *    out-of-window pure ACKs and SYNs, PAWS rejects, bad ACKs and challenged
 *    RSTs; segments with data or a FIN are always answered.  Two peers that disagree
 *    about the sequence space would otherwise exchange ACKs forever.
 *    In SYN_RCVD a SYN other than
 *    the retransmitted one also gets a challenge ACK instead of discarding
 *    the child (RFC 9293 §3.10.7.4 would return to LISTEN; the challenge ACK
 *    keeps an in-window spoofed SYN from killing the handshake).
 *  - TIME_WAIT (RFC 6191, Linux tcp_timewait_state_process): a SYN with a
 *    sequence number above RCV.NXT, or a newer timestamp, to a port with a
 *    listener ends TIME_WAIT and opens a new connection with ISS = SND.NXT +
 *    65537; other SYNs get an ACK.  A RST at RCV.NXT ends TIME_WAIT (Linux
 *    tcp_rfc1337 = 0), outcome still `established`.  A retransmitted FIN is
 *    ACKed and restarts 2*MSL.
 *  - FIN_WAIT_2 waits for the peer's FIN without a timer (RFC 9293): the app
 *    that called tcp_close can still read, like shutdown(SHUT_WR) on Linux;
 *    Linux's tcp_fin_timeout applies only to orphaned sockets.
 *  - The RTO backoff is cleared by a valid RTT sample only (RFC 6298 §5.7,
 *    Linux tcp_ack_update_rtt); an ACK of new data resets the retry count.
 *  - NewReno without SACK restarts the RTO on the first partial ACK only
 *    (RFC 6582 §3.2 step 5, "Impatient"); SACK recovery restarts it on every
 *    ACK of new data (RFC 6298 §5.3), like Linux.
 *  - After a retransmitted SYN or SYN,ACK the first window is one segment
 *    (RFC 5681 §3.1; Linux needs two retransmissions) and, without an RTT
 *    sample, RTO = 3 s (RFC 6298 §5.7).
 *  - A segment without timestamps on a connection that negotiated them is
 *    accepted (Linux), though RFC 7323 §3.2 says it SHOULD be dropped.
 *  - A read sends a window update only when the window offered would at
 *    least double, or was below one MSS (Linux tcp_cleanup_rbuf); otherwise
 *    the delayed ACK, every second full segment, carries the new edge.
 *  - A resent segment that ends at or beyond Last.ACK.sent (RCV.NXT of the
 *    last ACK sent) but below RCV.NXT, such as the RTO retransmission of a
 *    segment whose ACK was lost, updates TS.Recent before its duplicate ACK
 *    (Linux tcp_sequence takes it against rcv_wup); RFC 7323 §4.3 would echo
 *    the original's timestamp and hand the sender an RTT that includes the
 *    RTO, which then feeds on itself.
 *  - Urgent data is delivered inline and the urgent pointer ignored (RFC 6093).
 * Memory: a connection is a struct tcp_sock (288 bytes and its names) and,
 * until it is in TIME_WAIT with nothing left to read, a struct tcp_xfer
 * (456 bytes); the send and receive rings grow with the bytes they hold and
 * are freed when drained.  A host's TCP state is 256 bytes and its
 * settings, shared with other hosts through tcp_attach_shared. */
#ifndef STACK_TCP_PRIV_H
#define STACK_TCP_PRIV_H

#include "tcp.h"
#include "tcp_seq.h"

#include "../ip4.h"

#define TCP_HLEN      20
#define TCP_MAX_OPT   40
#define TCP_TS_OPTLEN 12 /* NOP, NOP, kind 8 len 10 */
/* Longest name kept, with its NUL: a scenario id (at most 63 characters), "#"
 * and a child's number; a socket stores only the bytes its names take. */
#define TCP_NAME_LEN 80
#define TCP_OOO_MAX  4 /* out-of-order ranges kept (like the SACK block limit) */
/* RFC 5961 §7: challenge ACKs per second per host (Linux tcp_challenge_ack_limit) */
#define TCP_CHALLENGE_ACK_LIMIT 1000
#define TCP_DELACK_MAX          (500 * SIM_MS) /* RFC 1122 §4.2.3.2 */
/* At most one duplicate ACK per socket per this interval in answer to
 * out-of-window segments and unacceptable ACKs (Linux tcp_invalid_ratelimit) */
#define TCP_INVALID_RATELIMIT (500 * SIM_MS)

enum {
    TCP_FIN = 0x01,
    TCP_SYN = 0x02,
    TCP_RST = 0x04,
    TCP_PSH = 0x08,
    TCP_ACK = 0x10,
    TCP_URG = 0x20,
};

/* A decoded segment: the header fields and options, apart from the bytes. */
struct tcp_seg {
    uint32_t src, dst; /* IP addresses, host order */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    const uint8_t *data;
    uint32_t len; /* payload bytes */
    /* options */
    uint16_t mss;  /* 0 = absent */
    int8_t wscale; /* -1 = absent */
    bool sack_ok;
    bool has_ts;
    uint32_t tsval, tsecr;
    const struct frame *frame; /* what carried it (drop traces); NULL in unit tests */
    uint32_t iface;            /* host interface index it came in on */
    uint32_t n_sack;           /* RFC 2018 blocks */
    struct tcp_range_pair {
        uint32_t start, end;
    } sack[4];
};

/* Output hook: ip4_send by default; tests capture segments here. */
typedef enum ip4_send_result (*tcp_output_fn)(struct host *h, struct frame *f, uint32_t src,
                                              uint32_t dst, uint8_t proto,
                                              const struct ip4_send_opts *o);

struct tcp_counters {
    uint64_t segs_in, segs_out, drop_checksum, drop_malformed, drop_no_listener, drop_backlog_full,
        drop_out_of_window, drop_paws, drop_bad_ack, rst_out, challenge_acks, challenge_ack_limited,
        oow_ack_limited, dupacks_in; /* dupacks_in: RFC 5681 duplicate ACKs received */
};

#define TCP_HASH_MIN 4 /* initial buckets of the per-host tables (power of two) */

/* How many sockets of a host use a local port (tcp_port_in_use). */
struct tcp_port_ref {
    struct tcp_port_ref *next;
    uint32_t refs;
    uint16_t port;
};

/* Free pages kept by a host for its rings: a connection whose receive ring
 * fills and drains with every segment allocates nothing in steady state,
 * while the host never keeps more than TCP_POOL_PAGES pages.  The free pages
 * are a list threaded through their own first bytes, so a host that never
 * frees a page pays nothing for the pool. */
#define TCP_PAGE       4096u
#define TCP_POOL_PAGES 8
struct tcp_page_pool {
    uint8_t *free; /* the last page put back; its first bytes point at the next */
    uint32_t n;
};

/* Field order: small fields fill what alignment would leave empty (a world
 * may hold tens of thousands of hosts). */
struct tcp_host {
    struct host *h;
    /* Lookups only, never iterated (anything that iterates uses the creation
     * list, so bucket order cannot leak into a run).  Both tables double
     * when they hold more entries than buckets: O(1) expected. */
    struct tcp_sock **hash; /* by 4-tuple */
    uint32_t hash_mask, n_hashed;
    struct tcp_port_ref **ports; /* local ports in use, reference-counted */
    uint32_t ports_mask, n_ports;
    struct tcp_sock *listeners; /* listening sockets (few), newest first */
    /* The settings: the host's own copy (tcp_attach, tcp_host_new; tests
     * change it) or the caller's, shared by every host given it
     * (tcp_attach_shared).  TCP never writes them. */
    struct tcp_config *cfg;
    struct tcp_sock *head, *tail; /* every socket, in creation order */
    struct tcp_page_pool pages;
    uint64_t isn_secret[2];
    uint32_t ts_secret;
    /* RFC 5961 §7: challenge ACKs limited per host, like Linux (1000/s). */
    uint32_t challenge_count;
    sim_time challenge_window;
    tcp_output_fn output;
    bool cfg_owned;
    /* Bound to IP (tcp_attach): frames come from ip4_alloc (it stamps frame
     * ids) and drops are traced by host_trace_drop; otherwise from the
     * frame pool, and drop events have no frame (tests). */
    bool bound;
    /* Segments being processed (tcp_input_seg): a socket that an app ends
     * from inside a callback (tcp_abort in on_accept, on_readable...) is
     * unlinked at once but freed only when the input that called the app
     * is done with it, so that code cannot touch freed memory. */
    uint32_t input_depth;       /* beside the bools: in what alignment leaves */
    struct tcp_sock *graveyard; /* such sockets, chained by `next` */
    struct tcp_counters c;
};

/* A byte ring stored in TCP_PAGE-byte pages, allocated where bytes are
 * written and given back as they are consumed, so memory follows the bytes
 * held, not the buffer size nor the span of out-of-order data (a page in a
 * hole is never allocated).  Byte 0 (the next to read) is at offset `head` of
 * the page in slot `first` of a circular page table of `slots` entries (a
 * power of two, the first two inline so a ring of a segment or two needs no
 * table of its own); `len` bytes from byte 0 are readable, and out-of-order
 * bytes may lie further on (the socket knows where).  A ring of zeroes holds
 * nothing; a ring that is only a count (len, with no table) is a send buffer
 * whose bytes a payload source makes. */
#define TCP_RING_INLINE 2
struct tcp_ring {
    union {
        uint8_t *inline_pages[TCP_RING_INLINE];
        uint8_t **table;
    } u;
    uint32_t slots, first, head, len;
    uint32_t held; /* pages allocated */
};

/* The timers of a transfer (struct tcp_xfer), then TIME_WAIT's, which is the
 * socket's own. */
enum tcp_timer_id {
    TCP_T_RTO,
    TCP_T_PERSIST,
    TCP_T_DELACK,
    TCP_T_KEEPALIVE,
    TCP_T_XFER_COUNT,
    TCP_T_TIMEWAIT = TCP_T_XFER_COUNT
};

#define TCP_KEEPALIVE_PROBES 9 /* Linux tcp_keepalive_probes */

/* The socket is the timer's ctx; which timer it is, its callback. */
struct tcp_timer {
    struct sim_timer t;
};

struct tcp_range {
    uint32_t start, end; /* sequence numbers */
};

/* What a connection needs only while it listens or moves data: allocated
 * with the socket, freed once it is in TIME_WAIT with nothing left to read
 * (tcp_release_xfer), so that a connection in TIME_WAIT costs only its
 * struct tcp_sock, as Linux's inet_timewait_sock stands in for a full
 * socket.  Field order as in struct tcp_sock. */
struct tcp_xfer {
    struct tcp_sock *lnext;      /* listener list */
    struct tcp_sock *listener;   /* children until accepted */
    const struct tcp_cc_ops *cc; /* the host's algorithm when the socket was made */
    const char *retx_cause;      /* why the segments below snd_max being resent are */

    uint32_t snd_wl1, snd_wl2;
    uint16_t peer_mss;
    uint8_t snd_wscale;
    bool ws_ok;

    /* RTT (RFC 6298) */
    bool rtt_active;
    bool in_recovery, partial_acked; /* partial_acked: RFC 6582 impatient timer */
    uint32_t rtt_seq;
    uint32_t backoff, retries, keepalive_probes;
    sim_time rtt_start;

    /* congestion control (RFC 5681, RFC 6582) */
    uint32_t dupacks, recover;
    uint32_t acked_bytes; /* congestion avoidance counter */
    /* CUBIC (RFC 9438) */
    uint32_t cubic_wmax, cubic_origin, cubic_west;
    uint64_t cubic_k_ms;
    sim_time cubic_epoch; /* -1: a new epoch starts at the next ACK */

    /* delayed ACK (RFC 1122 §4.2.3.2) */
    uint32_t unacked_segs;

    /* listener */
    uint32_t backlog, n_children, child_seq;

    uint32_t n_ooo;
    struct tcp_range ooo[TCP_OOO_MAX]; /* most recently changed first (RFC 2018 §4) */
    /* sender's SACK scoreboard (RFC 6675), ordered by sequence */
    struct tcp_range sacked[TCP_OOO_MAX];
    uint32_t n_sacked;
    uint32_t high_rxt; /* HighRxt: end of the last hole retransmitted */
    struct tcp_ring snd, rcv;
    /* With a payload source (tcp_set_payload_source) snd holds a count only:
     * its first byte is at stream offset bytes_sent - snd.len. */
    tcp_payload_fn fill;
    void *fill_ctx;
    /* With an expected payload (tcp_set_payload_expect), rcv keeps runs that
     * match it as marks. */
    tcp_payload_fn expect;
    void *expect_ctx;
    uint64_t bytes_read;

    struct tcp_timer timers[TCP_T_XFER_COUNT];
};

/* A connection (or listener) as long as the application may hold it: what
 * every state needs, TIME_WAIT included (RFC 6191 reopening, PAWS, the ACK of
 * a retransmitted FIN, the rate limit of invalid-segment ACKs), and what
 * tcp_get_info reports until on_closed.  Everything else is in *x.  Field
 * order: within each part, the small fields sit where they fill what
 * alignment would otherwise leave empty (one socket per connection, and
 * simulations hold many). */
struct tcp_sock {
    struct tcp_sock *next, *prev;
    struct tcp_sock *hnext; /* hash chain */
    struct tcp_host *th;
    struct tcp_xfer *x; /* NULL once released in TIME_WAIT */
    const struct tcp_sock_ops *ops;
    void *ctx;
    uint32_t lip, rip;
    uint16_t lport, rport;
    uint16_t mss;
    uint8_t rcv_wscale;
    uint8_t app_off; /* the app's name is at name + app_off (0: the same as name) */

    /* send sequence space (RFC 9293 §3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd;
    /* receive sequence space */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge last advertised */
    uint32_t rcv_wup;               /* RCV.NXT of the last ACK sent (RFC 7323 Last.ACK.sent) */
    uint32_t ts_recent, ts_offset;
    uint32_t cwnd, ssthresh;
    uint8_t state;   /* enum tcp_state */
    uint8_t outcome; /* enum tcp_outcome */
    bool ts_ok, sack_ok;
    bool passive, accepted, app_closed, fin_rcvd, peer_close_told;
    bool hashed, port_held, listening;
    bool oow_acked; /* oow_ack_at below is valid */
    bool fill_set;  /* a payload source was given (tcp_set_payload_source) */
    bool buried;    /* finished while input was under way: in th->graveyard */
    sim_time ts_recent_age;
    /* RFC 5961 §7 / Linux tcp_oow_rate_limited: when the last duplicate ACK
     * answering an invalid segment went out (valid once oow_acked is set) */
    sim_time oow_ack_at;
    sim_time srtt, rttvar, rto;

    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint64_t segs_in, segs_out, retransmits, timeouts;
    sim_time established_at, closed_at;
    struct tcp_timer timewait;
    char name[]; /* the connection's name, then the app's unless the same */
};

static inline struct sim *tcp_sim(const struct tcp_sock *s)
{
    return s->th->h->sim;
}
static inline struct trace_bus *tcp_bus(const struct tcp_sock *s)
{
    return s->th->h->bus;
}
static inline uint32_t tcp_cap(const struct tcp_sock *s)
{
    return s->th->cfg->rcvbuf;
}
static inline const char *tcp_app_name(const struct tcp_sock *s)
{
    return s->name + s->app_off;
}
/* Bytes waiting in the receive buffer (none once the transfer state is gone). */
static inline uint32_t tcp_rcv_len(const struct tcp_sock *s)
{
    return s->x ? s->x->rcv.len : 0;
}

/* tcp_wire.c */
/* Parses a segment after verifying its checksum (*bad_csum says when that
 * was why it failed). */
bool tcp_parse(struct tcp_seg *seg, uint32_t src, uint32_t dst, const uint8_t *l4, uint32_t len,
               bool *bad_csum);
/* Parses a segment whose checksum is known good (struct ip4_rx_info.csum_ok). */
bool tcp_parse_trusted(struct tcp_seg *seg, uint32_t src, uint32_t dst, const uint8_t *l4,
                       uint32_t len);
uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *l4, uint32_t len);
/* Builds and sends one segment; payload (len bytes) copied from the send ring
 * at sequence `seq` when len > 0.  The frame goes to the output hook. */
void tcp_emit(struct tcp_sock *s, uint32_t seq, uint8_t flags, uint32_t len, sim_time now);
/* A RST (or RST,ACK) not tied to a socket (§3.10.7.1). */
void tcp_emit_reset(struct tcp_host *th, const struct tcp_seg *seg);

/* tcp_ring.c */
/* What a ring's bytes are expected to be: fill's bytes, byte 0 of the ring
 * being the stream's byte `base`. */
struct tcp_ring_source {
    tcp_payload_fn fill;
    void *ctx;
    uint64_t base;
};
/* Copies n bytes to offset off (from byte 0), allocating the pages they
 * need from pool (or memory) unless they equal src's (src may be NULL);
 * false when memory runs out. */
bool tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *d, uint32_t n,
                       struct tcp_page_pool *pool, const struct tcp_ring_source *src);
/* Copies n written bytes from offset off (src: the one they were written with). */
void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *d, uint32_t n,
                      const struct tcp_ring_source *src);
/* Drops the first n readable bytes; pages left behind go to pool. */
void tcp_ring_consume(struct tcp_ring *r, uint32_t n, struct tcp_page_pool *pool);
/* Gives back every page (to pool, may be NULL) and the table. */
void tcp_ring_release(struct tcp_ring *r, struct tcp_page_pool *pool);
void tcp_page_pool_free(struct tcp_page_pool *pool);
/* Copies the n bytes at offset off of the send buffer (from the ring, or made
 * by the socket's payload source) and returns their checksum sum
 * (tcp_payload_fn). */
uint32_t tcp_snd_copy(const struct tcp_sock *s, uint32_t off, uint8_t *dst, uint32_t n);
/* The receive ring's source (NULL without an expected payload); *tmp is its storage. */
const struct tcp_ring_source *tcp_rcv_source(const struct tcp_sock *s, struct tcp_ring_source *tmp);

/* tcp_state.c */
void tcp_set_state(struct tcp_sock *s, enum tcp_state to, const char *cause, sim_time now);
void tcp_trace_app(struct tcp_sock *s, const char *what, int64_t bytes, int64_t total,
                   const char *detail, sim_time now);
void tcp_trace_timer(struct tcp_sock *s, const char *timer, uint32_t backoff, sim_time now);
void tcp_trace_cc(struct tcp_sock *s, sim_time now);
void tcp_trace_retx(struct tcp_sock *s, uint32_t seq, uint32_t len, const char *cause,
                    sim_time now);
void tcp_trace_drop(struct tcp_host *th, const struct tcp_seg *seg, const char *reason,
                    sim_time now);

/* tcp_isn.c */
uint32_t tcp_isn(struct tcp_host *th, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
                 sim_time now);

/* tcp_in.c */
void tcp_input(struct host *h, void *ctx, const struct ip4_rx_info *ip, const uint8_t *l4,
               uint32_t len, sim_time now);
void tcp_input_seg(struct tcp_host *th, const struct tcp_seg *seg, sim_time now);

/* tcp_ack.c */
void tcp_process_ack(struct tcp_sock *s, const struct tcp_seg *seg, sim_time now);
void tcp_rtt_sample(struct tcp_sock *s, sim_time rtt, sim_time now);
void tcp_cc_on_rto(struct tcp_sock *s, sim_time now);

/* tcp_recovery.c: SACK scoreboard and SACK-based loss recovery (RFC 6675) */
void tcp_sack_update(struct tcp_sock *s, const struct tcp_seg *seg);
void tcp_sack_clear(struct tcp_sock *s);
uint32_t tcp_sack_pipe(const struct tcp_sock *s);
uint32_t tcp_sack_bytes(const struct tcp_sock *s);
/* Sends what RFC 6675 §5 allows during recovery; false when not applicable. */
bool tcp_sack_output(struct tcp_sock *s, sim_time now);

/* tcp_cong.c: a congestion-control algorithm is what the ACK and loss paths
 * (tcp_ack.c: slow start, fast recovery, RTO collapse, all RFC 5681) ask of
 * it; NewReno and CUBIC are the two a host can choose (tcp_config.cc). */
struct tcp_cc_ops {
    const char *name;
    /* A new connection's algorithm state. */
    void (*init)(struct tcp_sock *s);
    /* The slow-start threshold after a loss (fast retransmit or RTO). */
    uint32_t (*ssthresh)(struct tcp_sock *s);
    /* The new cwnd after `acked` bytes are acknowledged in congestion avoidance. */
    uint32_t (*cong_avoid)(struct tcp_sock *s, uint32_t acked, sim_time now);
};
extern const struct tcp_cc_ops tcp_cc_newreno, tcp_cc_cubic;
const struct tcp_cc_ops *tcp_cc_of(enum tcp_cc_algo algo);

/* tcp_out.c */
void tcp_output(struct tcp_sock *s, sim_time now);
void tcp_output_override(struct tcp_sock *s, sim_time now);
void tcp_send_ack(struct tcp_sock *s, sim_time now);
void tcp_ack_soon(struct tcp_sock *s, bool full_seg, sim_time now);
uint32_t tcp_rcv_window(const struct tcp_sock *s);
uint32_t tcp_rcv_offered(const struct tcp_sock *s);
uint32_t tcp_rcv_window_to_advertise(const struct tcp_sock *s);
uint32_t tcp_flight(const struct tcp_sock *s);
void tcp_retransmit_first(struct tcp_sock *s, const char *cause, sim_time now);
/* Every retransmission goes through here: Karn's rule, then the retx trace. */
void tcp_note_retransmit(struct tcp_sock *s, uint32_t seq, uint32_t len, const char *cause,
                         sim_time now);

/* tcp_timer.c */
void tcp_timers_init(struct tcp_sock *s);
static inline struct sim_timer *tcp_timer_of(struct tcp_sock *s, enum tcp_timer_id id)
{
    if (id == TCP_T_TIMEWAIT)
        return &s->timewait.t;
    return s->x ? &s->x->timers[id].t : NULL;
}
/* Only TIME_WAIT's timer outlives the transfer state, and nothing arms
 * another one after it is released. */
static inline void tcp_timer_arm(struct tcp_sock *s, enum tcp_timer_id id, sim_time when)
{
    struct sim_timer *t = tcp_timer_of(s, id);
    if (t)
        sim_timer_arm(tcp_sim(s), t, when);
}
static inline void tcp_timer_stop(struct tcp_sock *s, enum tcp_timer_id id)
{
    struct sim_timer *t = tcp_timer_of(s, id);
    if (t && sim_timer_armed(t))
        sim_timer_cancel(tcp_sim(s), t);
}
void tcp_timers_stop_all(struct tcp_sock *s);
void tcp_rto_restart(struct tcp_sock *s, sim_time now);
/* Restarts the idle clock of keepalive (when enabled): the peer spoke. */
void tcp_keepalive_reset(struct tcp_sock *s, sim_time now);
void tcp_enter_time_wait(struct tcp_sock *s, const char *cause, sim_time now);

/* tcp_sock.c */
struct tcp_sock *tcp_sock_new(struct tcp_host *th, const char *name, const char *app);
void tcp_xfer_free_if_done(struct tcp_sock *s);
/* Frees the transfer state of a connection in TIME_WAIT once nothing of it
 * can matter again; does nothing otherwise.  Call it only where the caller
 * reads no more of s->x. */
static inline void tcp_release_xfer(struct tcp_sock *s)
{
    if (s->state == TCP_TIME_WAIT && s->x)
        tcp_xfer_free_if_done(s);
}
struct tcp_sock *tcp_lookup(struct tcp_host *th, uint32_t lip, uint16_t lport, uint32_t rip,
                            uint16_t rport);
/* Enters a connection with its 4-tuple set into the lookup table (and its
 * local port into the ports in use). */
void tcp_hash_insert(struct tcp_sock *s);
/* Does any socket of the host use this local port? */
bool tcp_port_in_use(const struct tcp_host *th, uint16_t port);
struct tcp_sock *tcp_lookup_listener(struct tcp_host *th, uint16_t lport);
/* Around the processing of a segment: sockets finished meanwhile are freed
 * at the end of the outermost (see tcp_host.graveyard). */
void tcp_input_begin(struct tcp_host *th);
void tcp_input_end(struct tcp_host *th);
/* Ends the connection: CLOSED, on_closed, then the socket is freed. */
void tcp_finish(struct tcp_sock *s, enum tcp_outcome o, const char *cause, sim_time now);
void tcp_on_established(struct tcp_sock *s, sim_time now);
void tcp_notify_readable(struct tcp_sock *s, sim_time now);
void tcp_notify_writable(struct tcp_sock *s, sim_time now);
void tcp_conn_init_from_config(struct tcp_sock *s);
/* Active open from a known source address and port (tcp_connect picks them). */
struct tcp_sock *tcp_connect_from(struct tcp_host *th, uint32_t src, uint16_t sport, uint32_t dst,
                                  uint16_t dport, const char *name, const char *app,
                                  const struct tcp_sock_ops *ops, void *ctx, sim_time now);

/* Installs TCP state on a host with a given output function (tests); cfg
 * (NULL: the defaults) is copied. */
struct tcp_host *tcp_host_new(struct host *h, const struct tcp_config *cfg, tcp_output_fn out);
/* The same with cfg not copied: it must outlive the host. */
struct tcp_host *tcp_host_new_shared(struct host *h, const struct tcp_config *cfg,
                                     tcp_output_fn out);
void tcp_host_free(struct tcp_host *th);

#endif
