/* A small world for the stack's unit tests: hosts joined by an in-test wire
 * (fixed delay, optional drop filter, every frame captured), and a trace sink
 * that keeps the events the tests look at. */
#ifndef TESTS_STACK_FIXTURE_H
#define TESTS_STACK_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/ip4.h"
#include "stack/udp.h"

/* All the counters of a host, by value. */
static inline struct host_counters host_counter(const struct host *h)
{
    struct host_counters c;
    host_counters_get(h, &c);
    return c;
}

#define IP(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define WIRE_DELAY   (1 * SIM_MS)
#define MAX_CAPTURES 512
#define MAX_EVENTS   1024

struct wire;

struct wire_dir {
    struct wire *w;
    int side; /* 0: sent by end[0] */
};

struct capture {
    int side;
    sim_time t;
    uint32_t len;
    uint64_t id;
    uint8_t *data;
};

/* Return false to lose the frame on the wire.  A filter may also damage the
 * frame as a link would (clearing its csum_ok). */
typedef bool (*wire_filter_fn)(struct wire *w, int side, struct frame *f, void *ctx);

struct wire {
    struct sim *sim;
    struct port *end[2];
    struct wire_dir dir[2];
    struct frame_queue in_flight;
    wire_filter_fn filter;
    void *filter_ctx;
    struct capture cap[MAX_CAPTURES];
    uint32_t n_cap;
};

struct ev {
    enum trace_kind kind;
    sim_time t;
    char host[16], reason[32], timer[16], what[16], app[16], detail[48];
    int64_t bytes, total;
    uint64_t frame_id;
    uint32_t iface, backoff;
};

struct world {
    struct sim sim;
    struct host *h[3];
    uint32_t n_hosts;
    struct wire w[2];
    uint32_t n_wires;
    struct trace_sink sink;
    struct ev ev[MAX_EVENTS];
    uint32_t n_ev;
};

/* a (10.0.0.1/24) <-> b (10.0.0.2/24), MTU 1500. */
void world_two(struct world *w);
/* a 10.0.1.1/24 <-> r (10.0.1.254, 10.0.2.254, forwarding) <-> b 10.0.2.1/24,
 * default routes via r; mtu2 is the MTU of the r-b wire. */
void world_three(struct world *w, uint32_t mtu2);
void world_fini(struct world *w);
/* Subscribes the world's recording sink (world_two/three do it themselves). */
void world_attach_sink(struct world *w);
void wire_connect(struct world *w, struct port *a, struct port *b, uint32_t mtu);
void run_for(struct world *w, sim_time d);

/* Events: counts and lookups (kind, and a string field that must match). */
uint32_t count_drops(const struct world *w, const char *host, const char *reason);
uint32_t count_timers(const struct world *w, const char *host, const char *timer);
const struct ev *find_event(const struct world *w, enum trace_kind k, const char *what);

/* Captured frames of a wire: helpers on raw bytes. */
uint16_t cap_ethertype(const struct capture *c);
const uint8_t *cap_ip(const struct capture *c); /* NULL when not IPv4 */
uint32_t count_frames(const struct wire *wi, int side, uint16_t ethertype, int ip_proto);

/* A valid IPv4 packet in a new frame (Ethernet dst = the receiving iface's MAC). */
struct frame *mk_ip_frame(struct world *w, const struct host_iface *to, uint32_t src, uint32_t dst,
                          uint8_t proto, uint8_t ttl, const uint8_t *l4, uint32_t len);
void set_ip_csum(uint8_t *ip);
/* Hands a frame to an interface as if it had arrived from its link. */
void inject(struct world *w, struct host_iface *i, struct frame *f);

/* A UDP socket that records what arrives and ICMP errors. */
struct udp_rec {
    uint32_t n_recv, n_err;
    uint32_t last_len, last_src;
    uint16_t last_sport;
    uint8_t last_data[70000];
    struct icmp_error err;
};
extern const struct udp_sock_ops udp_rec_ops;

#endif
