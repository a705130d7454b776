/* Internal interfaces between the files of the stack below TCP.
 *
 *   host.c      hosts, interfaces, routes, Ethernet input, ephemeral ports, traces
 *   arp.c       RFC 826 cache, resolution with held frames, retries
 *   ip4.c       IPv4 input, forwarding, output, loopback, checksums
 *   ip4_frag.c  fragmentation and reassembly
 *   icmp.c      echo, errors (generation with rate limit, dispatch of received ones)
 *   udp.c       UDP sockets
 *
 * Nothing here is for code outside stack/. */
#ifndef STACK_STACK_PRIV_H
#define STACK_STACK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "host.h"
#include "ip4.h"

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_ARP  0x0806
#define IP4_BROADCAST 0xffffffffu

/* IPv4 header fields (RFC 791 §3.1). */
#define IP4_OFF_MF   0x2000
#define IP4_OFF_DF   0x4000
#define IP4_OFF_MASK 0x1fff
#define IP4_MAX_LEN  65535u

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

static inline uint32_t prefix_mask(uint8_t len)
{
    return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1);
}

/* True when the frame was sent to the Ethernet broadcast address (its
 * Ethernet header is still in place on input). */
static inline bool eth_is_broadcast(const struct frame *f)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return f && f->len >= 6 && memcmp(f->data, bcast, 6) == 0;
}

/* ---- host.c ---- */

/* The host's rarely needed state, made when first needed; NULL when out of
 * memory. */
struct host_more *host_more(struct host *h);

/* Counts a rare event (a drop, an ICMP or UDP datagram...).  A count lost to
 * a failed allocation is only a statistic: nothing decides on it. */
#define HOST_COUNT(h, field)                                                                       \
    do {                                                                                           \
        struct host_more *more_ = host_more(h);                                                    \
        if (more_)                                                                                 \
            more_->c.field++;                                                                      \
    } while (0)

/* A frame of len bytes with a fresh trace id; NULL when the pool is exhausted. */
struct frame *host_frame_alloc(struct host *h, uint32_t len);
/* Gives f a fresh trace id (a forwarded frame is a new frame on its next link). */
void host_frame_new_id(struct host *h, struct frame *f);
/* Hands f (complete Ethernet frame) to the interface's link; takes f. */
void host_xmit(struct host_iface *i, struct frame *f);
/* The IP MTU of the interface (its link's; 1500 before a link is attached). */
uint32_t host_iface_mtu(const struct host_iface *i);
/* The interface holding address ip, or NULL. */
struct host_iface *host_iface_by_addr(const struct host *h, uint32_t ip);
/* True for 255.255.255.255 and the directed broadcast of a connected subnet. */
bool host_is_broadcast(const struct host *h, uint32_t ip);
/* host_has_addr || host_is_broadcast, in one lookup. */
bool host_is_local_dst(const struct host *h, uint32_t ip);
/* Drops f: traces it (iface = host-local index of where it was) and frees it. */
void host_drop(struct host *h, struct frame *f, uint32_t iface, const char *reason);
/* The offset of a counter in struct host_counters, for host_drop_counted. */
#define HOST_COUNTER(field) offsetof(struct host_counters, field)
/* host_drop, counting the drop in the counter at `counter` (HOST_COUNTER):
 * one call, so that the paths that receive every frame stay lean. */
void host_drop_counted(struct host *h, struct frame *f, uint32_t iface, const char *reason,
                       size_t counter);
void host_trace_timer(struct host *h, const char *timer, uint32_t backoff);
void eth_fill(struct frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

/* ---- arp.c ---- */

void arp_init(struct host *h);
/* Frees the entries, their held frames and pending timers. */
void arp_fini(struct host *h);
/* An ARP frame arrived on i; takes f. */
void arp_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now);
/* Sends the IPv4 packet in f (Ethernet source and type already filled) to the
 * next hop on i, resolving it first when needed; takes f. */
void arp_output(struct host *h, struct host_iface *i, uint32_t next_hop, struct frame *f,
                sim_time now);
/* The cached hardware address of ip on i, when resolved. */
bool arp_lookup(const struct host *h, const struct host_iface *i, uint32_t ip, uint8_t mac[6]);

/* ---- ip4.c ---- */

/* Draws the first IPv4 identification from the host's PRNG. */
void ip4_init(struct host *h);
/* Frees the loopback queue and reassembly state. */
void ip4_fini(struct host *h);
/* An IPv4 frame arrived on i; takes f. */
void ip4_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now);
/* Hands a datagram addressed to this host to its protocol; l4 is valid during the call. */
void ip4_deliver(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4, uint32_t len,
                 sim_time now);
/* Sends a complete IPv4 packet (header at f->data + 14, checksummed) toward
 * its next hop, already routed: fragments it when needed.  `forwarded` says
 * whether errors go back as ICMP (forwarding) or as the return value. Takes f. */
enum ip4_send_result ip4_output_routed(struct host *h, struct host_iface *out, uint32_t next_hop,
                                       struct frame *f, bool forwarded, sim_time now);
/* Fills the Ethernet source and type of the IPv4 packet in f and sends it to
 * next_hop on out (broadcast, or resolved by ARP); takes f. */
void ip4_link_output(struct host *h, struct host_iface *out, uint32_t next_hop, struct frame *f,
                     sim_time now);
void ip4_header_checksum(uint8_t *ip);

/* ---- ip4_frag.c ---- */

struct ip4_reass;
/* The host's reassembly queue, made when first needed (ip4.c); NULL when out
 * of memory. */
struct ip4_reass *ip4_reass_of(struct host *h);
struct ip4_reass *ip4_reass_create(struct host *h);
void ip4_reass_destroy(struct ip4_reass *r);
/* A fragment for this host arrived (header verified); takes f.  Delivers the
 * datagram once complete. */
void ip4_reass_input(struct host *h, struct host_iface *i, struct frame *f, sim_time now);
/* Splits the packet in f (larger than mtu, DF clear) into fragments and sends
 * each on out toward next_hop.  Frees f.  False when no fragment could be made. */
bool ip4_fragment(struct host *h, struct host_iface *out, uint32_t next_hop, struct frame *f,
                  uint32_t mtu, sim_time now);
/* Same, from a header (hlen bytes) and a flat payload; frames addressed to
 * this host (out == NULL) are looped back. */
bool ip4_fragment_buf(struct host *h, struct host_iface *out, uint32_t next_hop, const uint8_t *hdr,
                      uint32_t hlen, const uint8_t *payload, uint32_t plen, uint32_t mtu,
                      sim_time now);
/* Loops a locally addressed packet back through the event queue; takes f. */
void ip4_loopback(struct host *h, struct frame *f);

/* ---- icmp.c ---- */

/* Sends an ICMP error about a datagram that arrived (possibly reassembled),
 * quoting ip->hdr with its total length and fragment fields made whole. */
void icmp_error_about_rx(struct host *h, const struct ip4_rx_info *ip, const uint8_t *l4,
                         uint32_t len, uint8_t type, uint8_t code);

#endif
