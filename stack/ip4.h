/* IPv4 output for upper protocols (RFC 791, RFC 1122 §3.3).
 *
 * Upper layers build their header and payload directly in a frame obtained
 * from ip4_alloc (the L4 bytes start at IP4_L4_OFF), then hand it to ip4_send,
 * which fills the IP and Ethernet headers, routes, fragments when the packet
 * exceeds the outgoing MTU (unless DF), resolves the next hop with ARP and
 * transmits.  The frame always changes owner. */
#ifndef STACK_IP4_H
#define STACK_IP4_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"

#define IP4_HLEN   20
#define IP4_L4_OFF (FRAME_ETH_HLEN + IP4_HLEN)
#define IP4_DEFAULT_TTL 64 /* Linux */

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP  6
#define IP_PROTO_UDP  17

enum ip4_send_result {
    IP4_SENT = 0,      /* handed to the link, or queued awaiting ARP */
    IP4_NO_ROUTE,      /* dropped (reason no_route) */
    IP4_TOO_BIG,       /* DF set and larger than the MTU: dropped */
    IP4_NO_BUFFER,     /* the frame pool is exhausted */
};

struct ip4_send_opts {
    uint8_t ttl; /* 0 = IP4_DEFAULT_TTL */
    uint8_t tos;
    bool df;
};

/* A frame with room for Ethernet + IPv4 headers and l4_len bytes of payload,
 * or NULL when the pool is exhausted or the size exceeds what one frame holds
 * (use ip4_send_buf for datagrams that need fragmenting).  The caller owns it. */
struct frame *ip4_alloc(struct host *h, uint32_t l4_len);
enum ip4_send_result ip4_send(struct host *h, struct frame *f, uint32_t src, uint32_t dst,
                              uint8_t proto, const struct ip4_send_opts *o);
/* Sends a datagram of any size up to 65515 bytes from a flat buffer, fragmenting
 * as needed. */
enum ip4_send_result ip4_send_buf(struct host *h, const uint8_t *l4, uint32_t len, uint32_t src,
                                  uint32_t dst, uint8_t proto, const struct ip4_send_opts *o);
/* The MTU of the interface the route to dst leaves by; 0 when unroutable. */
uint32_t ip4_route_mtu(const struct host *h, uint32_t dst);

/* Internet checksum helpers (RFC 1071). */
uint32_t inet_csum_add(uint32_t sum, const void *data, uint32_t len);
uint16_t inet_csum_fold(uint32_t sum);
/* Sum of the IPv4 pseudo-header for TCP/UDP. */
uint32_t inet_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);

#endif
