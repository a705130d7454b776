/* ICMP (RFC 792, RFC 1122 §3.2.2): echo, and the error messages the stack
 * generates (destination unreachable, time exceeded), rate-limited by a
 * deterministic token bucket and never sent about ICMP errors, non-first
 * fragments, or broadcasts. */
#ifndef STACK_ICMP_H
#define STACK_ICMP_H

#include <stdint.h>

#include "host.h"
#include "ip4.h"

#define ICMP_ECHO_REPLY      0
#define ICMP_DEST_UNREACH    3
#define ICMP_ECHO_REQUEST    8
#define ICMP_TIME_EXCEEDED   11
#define ICMP_NET_UNREACH     0
#define ICMP_HOST_UNREACH    1
#define ICMP_PROTO_UNREACH   2
#define ICMP_PORT_UNREACH    3
#define ICMP_FRAG_NEEDED     4

struct icmp_echo_sock;

struct icmp_echo_ops {
    /* An echo reply for this socket's identifier. */
    void (*on_reply)(void *ctx, uint32_t from, uint16_t seq, uint8_t ttl, uint32_t len,
                     sim_time now);
    /* An ICMP error quoting one of this socket's echo requests. May be NULL. */
    void (*on_error)(void *ctx, const struct icmp_error *e, uint16_t seq, sim_time now);
};

/* An echo "socket" with its own identifier (ping's). `app` names the app in traces. */
struct icmp_echo_sock *icmp_echo_open(struct host *h, const char *app,
                                      const struct icmp_echo_ops *ops, void *ctx);
enum ip4_send_result icmp_echo_send(struct icmp_echo_sock *s, uint32_t dst, uint16_t seq,
                                    uint32_t payload_len, const struct ip4_send_opts *o);
void icmp_echo_close(struct icmp_echo_sock *s);

/* Sends an ICMP error about the datagram in `offending` (its IPv4 header
 * onward, as received), following RFC 1122 §3.2.2's rules on when not to. */
void icmp_send_error(struct host *h, const uint8_t *offending_ip, uint32_t len, uint8_t type,
                     uint8_t code, uint16_t mtu);

bool icmp_attach(struct host *h);
void icmp_detach(struct host *h);

#endif
