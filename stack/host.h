/* A virtual host: interfaces, routing table, ARP cache and the protocol
 * modules, all owned by the host (no globals).  Routers are hosts with
 * `forward` set.
 *
 * The stack never reads a clock: timers come from sim/timer.h and every input
 * is given `now`.  Observations go to the simulation's trace bus. */
#ifndef STACK_HOST_H
#define STACK_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/frame.h"
#include "../sim/port.h"
#include "../sim/rng.h"
#include "../sim/time.h"
#include "../sim/timer.h"
#include "../sim/trace.h"

struct sim;
struct host;
struct arp_entry;
struct ip4_state;
struct udp_state;
struct icmp_state;

#define HOST_MAX_IFACES 64
#define HOST_IFNAME_LEN 8 /* "eth0" to "eth63" */

/* Its name ("eth0", "eth1", ...) is port.ifname, from a constant table. */
struct host_iface {
    struct port port; /* port.owner is this iface's host (host_of_iface) */
    uint32_t ip;      /* host byte order; 0 = unnumbered */
    /* Derived from ip/prefix_len by host_iface_set_addr: the directed
     * broadcast of the connected subnet, 0 when it has none (unnumbered,
     * /31 or /32). */
    uint32_t bcast;
    uint8_t mac[6];
    uint8_t prefix_len;
    uint8_t index; /* < HOST_MAX_IFACES */
};

static inline struct host *host_of_iface(const struct host_iface *i)
{
    return (struct host *)i->port.owner;
}

/* Slots of the lookup tables a host keeps (host.c). */
struct host_local_slot {
    uint32_t ip;    /* 0 = free */
    uint8_t iface1; /* the lowest interface with address ip, + 1; 0 = none */
    bool bcast;     /* ip is the directed broadcast of a connected subnet */
};

struct host_route_slot {
    uint32_t dest;
    uint32_t ref; /* (index into routes[] + 1) << 6 | prefix_len; 0 = free */
};

struct route {
    uint32_t dest; /* network, host byte order */
    uint32_t via;  /* next hop; 0 = directly connected */
    uint8_t prefix_len;
    uint8_t iface; /* index into host->ifaces (< HOST_MAX_IFACES) */
};

/* The ARP cache (arp.c). */
struct host_arp {
    struct arp_entry *entries; /* n of cap, in creation order */
    uint32_t *buckets;         /* chains of entry index + 1; n_buckets is 0 or a power of two */
    uint32_t n, cap, n_buckets;
};

/* What arrived at the IP layer for an upper protocol. */
struct ip4_rx_info {
    uint32_t src, dst; /* host byte order */
    uint8_t proto, ttl, tos;
    uint16_t id;
    struct host_iface *iface;  /* where it came in */
    const struct frame *frame; /* the last frame of it (for drop traces); never NULL */
    /* Its IPv4 header (options included; for a reassembled datagram, the first
     * fragment's), e.g. to quote in an ICMP error.  NULL when not known. */
    const uint8_t *hdr;
    /* The transport checksum may be trusted without summing (the frame's
     * csum_ok: written by the sender, no byte changed since); never for a
     * reassembled datagram. */
    bool csum_ok;
};

/* An ICMP error about a datagram this host sent, handed to the protocol that sent it. */
struct icmp_error {
    uint32_t from; /* who reported it */
    uint8_t type, code;
    uint16_t mtu; /* next-hop MTU of "fragmentation needed", else 0 */
    /* the quoted datagram */
    uint32_t src, dst;
    uint8_t proto;
    uint16_t sport, dport; /* first 4 bytes of the quoted L4 header */
    uint32_t quoted_seq;   /* TCP: next 4 bytes (sequence number) */
};

typedef void (*ip4_input_fn)(struct host *h, void *ctx, const struct ip4_rx_info *ip,
                             const uint8_t *l4, uint32_t len, sim_time now);
typedef void (*ip4_error_fn)(struct host *h, void *ctx, const struct icmp_error *e, sim_time now);

struct ip4_proto_handler {
    ip4_input_fn input;
    ip4_error_fn error;
    void *ctx;
};

/* Statistics for tests and debugging (nothing in a run decides on them):
 * 32 bits, so they wrap after 2^32 packets, as a 32-bit SNMP counter does. */
struct host_counters {
    uint32_t ip_in, ip_out, ip_forwarded, ip_delivered;
    uint32_t drop_checksum, drop_ttl, drop_no_route, drop_malformed, drop_not_mine, drop_arp,
        drop_reassembly, drop_no_proto;
    uint32_t frags_out, reassembled;
    uint32_t icmp_in, icmp_out, icmp_rate_limited;
    uint32_t udp_in, udp_out, udp_no_port;
    uint32_t drop_too_big; /* larger than the MTU with DF set */
};

/* The counters every packet touches. */
struct host_ip_counters {
    uint32_t ip_in, ip_out, ip_forwarded, ip_delivered;
};

/* What most hosts never need, made on first use (host_more in host.c):
 * lookup indexes for many interfaces or routes, the state of sockets, ICMP's
 * rate limit, loopback and reassembly, and the counters of rare events. */
struct host_more {
    /* Lookup tables over ifaces[] and routes[], kept by host.c (per-packet
     * lookups on routers with 64 interfaces must not scan them): the
     * addresses and directed broadcasts by address, the routes by (prefix
     * length, network) with the lengths in use.  Capacities are 0 or powers
     * of two. */
    struct host_local_slot *local;
    struct host_route_slot *route_slots;
    uint64_t route_lens; /* bit p: some route has prefix length p */
    uint32_t local_cap, route_slots_cap;
    struct ip4_state *ip;    /* loopback and reassembly (ip4.c) */
    struct icmp_state *icmp; /* echo sockets and the error rate limit (icmp.c) */
    struct udp_state *udp;   /* sockets (udp.c) */
    struct host_counters c;  /* all but the ip_* ones, which the host keeps */
};

/* The protocols a host dispatches to above IP: ICMP, UDP and TCP, and room
 * for one more (tests register their own). */
#define HOST_MAX_PROTOS 4

/* Fields ordered by size so that the host packs without holes: a world may
 * hold tens of thousands of hosts. */
struct host {
    struct sim *sim;
    struct trace_bus *bus;
    struct frame_pool *frames;
    char *name;     /* host_create puts it in the host's own block */
    struct rng rng; /* seeded from (scenario seed, "host:<name>") */

    /* n_ifaces interfaces by index; points at ifaces_inline while it is big
     * enough (most hosts have one interface). */
    struct host_iface **ifaces;
    struct host_iface *ifaces_inline[1];
    /* In the order added; change only through the functions below.  Points
     * at routes_inline while it is big enough (most hosts have two routes:
     * the connected one and a default). */
    struct route *routes;
    struct route routes_inline[2];
    struct host_more *more; /* NULL until needed */

    struct host_arp arp;
    void *tcp; /* owned by the TCP module (tcp_attach) */
    void (*tcp_destroy)(struct host *h);

    /* Upper protocols: handler k serves protocol number proto_num[k]. */
    struct ip4_proto_handler proto[HOST_MAX_PROTOS];
    struct host_ip_counters c;

    uint32_t index; /* order of creation: used to derive MAC addresses */
    uint32_t n_ifaces, cap_ifaces;
    uint32_t n_routes, cap_routes;
    uint16_t next_ephemeral;  /* shared by UDP and TCP: Linux range 32768-60999 */
    uint16_t icmp_next_ident; /* of the next echo socket (icmp.c) */
    uint16_t ip_next_id;      /* IPv4 identification of the next datagram (ip4.c) */
    uint8_t proto_num[HOST_MAX_PROTOS];
    uint8_t n_protos;
    bool forward;
};

/* NULL on allocation failure.  `index` must be unique per simulation. */
struct host *host_create(struct sim *s, const char *name, uint32_t index, bool forward);
void host_destroy(struct host *h);

/* Adds an interface "ethN"; the returned iface's `port` is what a link attaches
 * to.  ip/prefix may be 0 and set later with host_iface_set_addr.  Adds the
 * directly connected route.  `link` names the link for traces.  NULL when the
 * host has HOST_MAX_IFACES already or memory runs out. */
struct host_iface *host_add_iface(struct host *h, const char *link, uint32_t ip,
                                  uint8_t prefix_len);
void host_iface_set_addr(struct host_iface *i, uint32_t ip, uint8_t prefix_len);
/* A static route; via == 0 means directly connected on `iface`.
 * Returns false when `via` is not on a connected subnet. */
bool host_add_route(struct host *h, uint32_t dest, uint8_t prefix_len, uint32_t via);
/* Longest-prefix match; NULL if none.  *next_hop gets the gateway or dst itself. */
const struct route *host_route_lookup(const struct host *h, uint32_t dst, uint32_t *next_hop);
/* The host's own address toward dst (the outgoing interface's), 0 when unroutable. */
uint32_t host_src_for(const struct host *h, uint32_t dst);
/* True when ip is one of the host's addresses. */
bool host_has_addr(const struct host *h, uint32_t ip);
/* Allocates an ephemeral port (Linux's 32768-60999, sequentially from a
 * per-host start drawn from its PRNG); `in_use` says whether a candidate is taken. */
uint16_t host_ephemeral_port(struct host *h,
                             bool (*in_use)(struct host *h, uint16_t port, void *ctx), void *ctx);

/* Sets the handlers of an upper protocol; two NULLs remove them.  False when
 * HOST_MAX_PROTOS protocols have handlers already. */
bool host_register_proto(struct host *h, uint8_t proto, ip4_input_fn in, ip4_error_fn err,
                         void *ctx);
/* The handler of an upper protocol, NULL when it has none. */
static inline const struct ip4_proto_handler *host_proto(const struct host *h, uint8_t proto)
{
    for (uint32_t k = 0; k < h->n_protos; k++)
        if (h->proto_num[k] == proto)
            return &h->proto[k];
    return NULL;
}

/* Reports a dropped frame (kind drop) with a reason, counted by the caller. */
void host_trace_drop(struct host *h, const struct frame *f, uint32_t iface, const char *reason);

sim_time host_now(const struct host *h);
/* All the host's counters. */
void host_counters_get(const struct host *h, struct host_counters *out);

#endif
