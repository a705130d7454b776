/* A port: where a host interface meets a link.  The link fills in `tx`, the
 * host fills in `rx`; neither knows the other's type.  Frames passed through
 * either function change owner. */
#ifndef SIM_PORT_H
#define SIM_PORT_H

#include <stdint.h>

#include "frame.h"
#include "time.h"

struct port {
    /* Set by the link the port is attached to. */
    void (*tx)(struct port *p, struct frame *f);
    void *link;

    /* Set by the host that owns the interface. */
    void (*rx)(struct port *p, struct frame *f, sim_time now);
    void *owner;
    const char *host; /* names used in traces */
    const char *ifname;
    uint32_t iface; /* index on the trace bus (pcapng interface) */

    uint32_t mtu; /* IP MTU of the attached link (set by the link) */
};

/* Sends f out of p; the link takes ownership (it may queue, delay or drop it). */
static inline void port_send(struct port *p, struct frame *f)
{
    p->tx(p, f);
}

#endif
