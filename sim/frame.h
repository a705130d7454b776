/* Frames: the bytes of one Ethernet II frame (no preamble, no FCS), as a host
 * put them on the wire.
 *
 * Buffers come from a per-simulation pool with three size classes (tiny,
 * small, large), so steady state allocates nothing.  Ownership moves with the pointer: whoever
 * holds a frame either passes it on (link, host) or returns it with frame_free(). */
#ifndef SIM_FRAME_H
#define SIM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timer.h"

#define FRAME_ETH_HLEN  14
#define FRAME_TINY_CAP  128u  /* ACKs (with options), ARP, small ICMP */
#define FRAME_SMALL_CAP 1536u /* fits MTU 1500 + Ethernet header */
#define FRAME_LARGE_CAP 9216u /* fits MTU 9000 jumbo frames */
#define FRAME_MAX_MTU   (FRAME_LARGE_CAP - FRAME_ETH_HLEN)

struct frame {
    struct frame *next;     /* intrusive: queue, pending-ARP list, free list */
    struct sim_timer timer; /* used by whoever holds the frame in flight */
    uint64_t id;            /* stable identity in traces; copies get their own */
    uint32_t len;
    uint32_t cap;
    /* The sender's stack wrote the transport checksum and nothing has changed
     * a byte of the transport segment since (links clear it when they flip a
     * bit): the receiver may trust it rather than sum the segment again, as a
     * Linux driver marks CHECKSUM_UNNECESSARY.  False on every fresh frame. */
    bool csum_ok;
    void *holder;  /* context of the current holder (e.g. a link direction) */
    uint8_t *data; /* == buf */
    uint8_t buf[];
};

struct frame_pool {
    struct frame *free_tiny, *free_small, *free_large;
    uint64_t allocated, in_use, peak_in_use;
    uint64_t limit; /* frames alive at once; 0 = no limit */
    bool limit_hit; /* an allocation was refused because of `limit` */
    bool oom;       /* an allocation failed for want of memory */
};

void frame_pool_init(struct frame_pool *p);
void frame_pool_destroy(struct frame_pool *p);
/* A frame of `len` bytes (contents undefined), or NULL when len exceeds
 * FRAME_LARGE_CAP, the pool's limit is reached or memory runs out.
 * The caller owns it. */
struct frame *frame_alloc(struct frame_pool *p, uint32_t len);
/* A byte-identical copy with the same id; the caller owns it. */
struct frame *frame_clone(struct frame_pool *p, const struct frame *f);
/* Returns f to the pool; f must not be armed or queued anywhere. */
void frame_free(struct frame_pool *p, struct frame *f);

/* A FIFO of frames linked through `next`. */
struct frame_queue {
    struct frame *head, *tail;
    uint32_t len;
};

static inline void frame_queue_push(struct frame_queue *q, struct frame *f)
{
    f->next = NULL;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->len++;
}

static inline struct frame *frame_queue_pop(struct frame_queue *q)
{
    struct frame *f = q->head;
    if (!f)
        return NULL;
    q->head = f->next;
    if (!q->head)
        q->tail = NULL;
    q->len--;
    f->next = NULL;
    return f;
}

/* Frees every frame left in q. */
void frame_queue_clear(struct frame_pool *p, struct frame_queue *q);

#endif
