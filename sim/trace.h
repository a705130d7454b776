/* The trace bus: every layer reports what happens here, sinks subscribe.
 *
 * An event is a flat struct filled with designated initialisers; fields that do
 * not apply to its kind stay zero/NULL.  Emitters check trace_on() first, so a
 * run with no sink for a kind never builds (or formats) its events.  Sinks see
 * events synchronously, in emission order, and must copy whatever they keep:
 * pointers in an event are only valid during the call. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "time.h"

struct frame;

enum trace_kind {
    TRACE_TX,     /* a frame leaves an interface (handed to its link) */
    TRACE_RX,     /* a frame arrives at an interface */
    TRACE_DROP,   /* a frame is discarded; `reason` says why, `host` or `link` where */
    TRACE_STATE,  /* a TCP connection changes state */
    TRACE_APP,    /* an application event: connect, accept, send, deliver, close, ... */
    TRACE_TIMER,  /* a protocol timer fired: rto, persist, delack, time_wait, ... */
    TRACE_CC,     /* congestion window / slow-start threshold / RTT estimate changed */
    TRACE_RETX,   /* a TCP segment is sent again (`cause`: rto, fast, sack, probe) */
    TRACE_LINK,   /* a link went down/up or had its parameters changed */
    TRACE_EXPECT, /* the verdict of one expectation */
    TRACE_KIND_COUNT
};

#define TRACE_MASK(k)     (1u << (k))
#define TRACE_MASK_ALL    ((1u << TRACE_KIND_COUNT) - 1)
#define TRACE_MASK_FRAMES (TRACE_MASK(TRACE_TX) | TRACE_MASK(TRACE_RX) | TRACE_MASK(TRACE_DROP))

struct trace_event {
    sim_time t;
    enum trace_kind kind;
    const char *host; /* where it happened (NULL for link-level events) */

    /* Frame events (tx, rx, and drops of a frame). */
    const struct frame *frame; /* bytes exactly as on the wire */
    uint32_t iface;            /* index from trace_bus_add_iface(); for pcapng */
    const char *ifname;
    const char *link;
    const char *reason; /* drops: loss queue fault link_down checksum ttl no_route ... */
    bool dup;           /* rx of a copy made by the link's `duplicate` */

    /* Connections. */
    const char *conn; /* connection name: client app id, or "srv#1" */
    const char *from; /* state names (RFC 9293, with underscores) */
    const char *to;
    const char *cause; /* what triggered it: "rx SYN,ACK", "app close", "rto", ... */

    /* Applications. */
    const char *app;
    const char *what;   /* connect accept send deliver close result reply ... */
    int64_t bytes;      /* bytes in this event */
    int64_t total;      /* running total */
    const char *detail; /* short free text: peer, outcome, summary */
    bool intact;        /* deliver: data matched the sender's pattern */

    /* Timers, retransmissions, congestion control. */
    const char *timer; /* rto persist delack time_wait keepalive arp reassembly */
    uint32_t seq;      /* relative to the connection's ISN */
    uint32_t len;
    uint32_t backoff;
    uint64_t cwnd, ssthresh; /* bytes */
    sim_time rtt, srtt, rttvar, rto;

    /* Expectations. */
    int index;
    bool ok;
    const char *message;
};

struct trace_sink {
    void (*event)(struct trace_sink *s, const struct trace_event *e);
    uint32_t mask; /* kinds this sink wants */
    struct trace_sink *next;
};

/* One interface known to the bus (pcapng needs them all described).  The
 * names point into the bus's own storage. */
struct trace_iface {
    char *host;
    char *name;
    char *link;
    uint8_t mac[6];
    uint32_t mtu;
};

/* A block of the names the bus keeps: packed one after another, never moved
 * (a world may describe tens of thousands of interfaces). */
struct trace_names;

struct trace_bus {
    struct trace_sink *sinks;
    uint32_t mask; /* union of the sinks' masks */
    struct trace_iface *ifaces;
    uint32_t n_ifaces, cap_ifaces;
    struct trace_names *names; /* the newest block first */
};

void trace_bus_init(struct trace_bus *b);
void trace_bus_destroy(struct trace_bus *b);
/* Sinks are called in the order they were added.  The bus does not own them. */
void trace_bus_add_sink(struct trace_bus *b, struct trace_sink *s);
void trace_bus_remove_sink(struct trace_bus *b, struct trace_sink *s);
/* Registers an interface; returns its index (0, 1, 2, ... in registration order),
 * or UINT32_MAX when out of memory. */
uint32_t trace_bus_add_iface(struct trace_bus *b, const char *host, const char *name,
                             const char *link, const uint8_t mac[6], uint32_t mtu);

static inline bool trace_on(const struct trace_bus *b, enum trace_kind k)
{
    return (b->mask & TRACE_MASK(k)) != 0;
}

void trace_emit(struct trace_bus *b, const struct trace_event *e);

/* Names of the kinds as they appear in the JSON Lines trace ("tx", "rx", ...). */
const char *trace_kind_name(enum trace_kind k);

#endif
