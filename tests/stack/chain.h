/* A chain of hosts joined by the simulator's real links (sim/link.c):
 *
 *   a -- r1 -- r2 -- ... -- b      link k joins host k and host k+1
 *
 * Link k's subnet is 10.0.k.0/24; its left end is 10.0.k.1 and its right end
 * 10.0.k.2.  The end hosts have a default route toward their only neighbour;
 * the routers have one static route per subnet they are not on.  A recording
 * sink keeps every frame event (with a copy of the bytes) and every app event,
 * so tests can look at each hop's wire. */
#ifndef TESTS_STACK_CHAIN_H
#define TESTS_STACK_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/link.h"
#include "sim/sim.h"
#include "stack/host.h"
#include "stack/udp.h"

#define CHAIN_MAX_HOSTS 6
#define CHAIN_IP(a, b, c, d)                                                                       \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct chain_link_cfg {
    sim_time delay;
    uint32_t mtu; /* 0: 1500 */
};

struct chain_frame {
    enum trace_kind kind; /* tx, rx or drop */
    sim_time t;
    char host[16];
    char reason[32];
    uint32_t iface; /* trace-bus index */
    uint32_t len;
    uint8_t *data;
};

struct chain_app_ev {
    sim_time t;
    char app[16], what[16], detail[128];
    int64_t total;
    sim_time rtt;
};

struct chain {
    struct sim sim;
    uint32_t n;
    struct host *h[CHAIN_MAX_HOSTS];
    struct link *l[CHAIN_MAX_HOSTS - 1];
    struct trace_sink sink;
    struct chain_frame *fr;
    uint32_t n_fr, cap_fr;
    struct chain_app_ev *ap;
    uint32_t n_ap, cap_ap;
};

/* n hosts (2..CHAIN_MAX_HOSTS) and n-1 links; the recording sink is attached. */
void chain_build(struct chain *c, uint32_t n, const struct chain_link_cfg *links, uint64_t seed);
/* Destroys the links and hosts (apps must be destroyed first) and the simulation. */
void chain_free(struct chain *c);
void chain_run_until(struct chain *c, sim_time t);

/* The address of link k's left (side 0) or right (side 1) end. */
static inline uint32_t chain_addr(uint32_t link, int side)
{
    return CHAIN_IP(10, 0, link, side + 1);
}
/* Host k's interface on link `link` (k must be one of its ends). */
struct host_iface *chain_iface(const struct chain *c, uint32_t k, uint32_t link);

/* The recorded frames of one kind on one interface, in order; returns the count. */
uint32_t chain_frames_on(const struct chain *c, enum trace_kind kind, const struct host_iface *i,
                         const struct chain_frame **out, uint32_t max);
uint32_t chain_count_drops(const struct chain *c, const char *reason);
/* App events of one app and kind, in order; returns the count. */
uint32_t chain_app_events(const struct chain *c, const char *app, const char *what,
                          const struct chain_app_ev **out, uint32_t max);

/* A UDP socket context that keeps the last datagram and the last ICMP error. */
struct chain_udp_rec {
    uint32_t n_recv, n_err;
    uint32_t last_len, last_src;
    uint8_t last_data[8192];
    struct icmp_error err;
};
extern const struct udp_sock_ops chain_udp_rec_ops;

#endif
