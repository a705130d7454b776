/* UDP (RFC 768) and the datagram socket applications use. */
#ifndef STACK_UDP_H
#define STACK_UDP_H

#include <stdint.h>

#include "host.h"
#include "ip4.h"

struct udp_sock;

struct udp_sock_ops {
    /* A datagram arrived (checksum verified).  data is valid during the call. */
    void (*on_recv)(void *ctx, struct udp_sock *s, uint32_t src, uint16_t sport,
                    const uint8_t *data, uint32_t len, sim_time now);
    /* An ICMP error about a datagram this socket sent (port unreachable, time
     * exceeded, ...).  May be NULL. */
    void (*on_error)(void *ctx, struct udp_sock *s, const struct icmp_error *e, sim_time now);
};

/* Binds a socket on port (0 = ephemeral); NULL when the port is taken.
 * `app` names the application in app events (send, deliver). */
struct udp_sock *udp_open(struct host *h, uint16_t port, const char *app,
                          const struct udp_sock_ops *ops, void *ctx);
uint16_t udp_local_port(const struct udp_sock *s);
/* Sends one datagram; it is fragmented when larger than the path MTU. */
enum ip4_send_result udp_sendto(struct udp_sock *s, uint32_t dst, uint16_t dport,
                                const uint8_t *data, uint32_t len, const struct ip4_send_opts *o);
void udp_close(struct udp_sock *s);

/* Called by host_create/host_destroy. */
bool udp_attach(struct host *h);
void udp_detach(struct host *h);

#endif
