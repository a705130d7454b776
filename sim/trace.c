#include "trace.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[TRACE_KIND_COUNT] = {
    [TRACE_TX] = "tx",         [TRACE_RX] = "rx",     [TRACE_DROP] = "drop",
    [TRACE_STATE] = "state",   [TRACE_APP] = "app",   [TRACE_TIMER] = "timer",
    [TRACE_CC] = "cc",         [TRACE_RETX] = "retx", [TRACE_LINK] = "link",
    [TRACE_EXPECT] = "expect",
};

const char *trace_kind_name(enum trace_kind k)
{
    return (unsigned)k < TRACE_KIND_COUNT ? kind_names[k] : "?";
}

void trace_bus_init(struct trace_bus *b)
{
    memset(b, 0, sizeof *b);
}

struct trace_names {
    struct trace_names *next;
    size_t used, cap;
    char text[];
};

#define NAMES_BLOCK 4000 /* bytes of text per block: one page with its header */

void trace_bus_destroy(struct trace_bus *b)
{
    while (b->names) {
        struct trace_names *next = b->names->next;
        free(b->names);
        b->names = next;
    }
    free(b->ifaces);
    memset(b, 0, sizeof *b);
}

static void recompute_mask(struct trace_bus *b)
{
    b->mask = 0;
    for (struct trace_sink *s = b->sinks; s; s = s->next)
        b->mask |= s->mask;
}

void trace_bus_add_sink(struct trace_bus *b, struct trace_sink *s)
{
    s->next = NULL;
    struct trace_sink **p = &b->sinks;
    while (*p)
        p = &(*p)->next;
    *p = s;
    recompute_mask(b);
}

void trace_bus_remove_sink(struct trace_bus *b, struct trace_sink *s)
{
    for (struct trace_sink **p = &b->sinks; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    recompute_mask(b);
}

/* A copy of s in the bus's blocks; *ok is cleared when out of memory. */
static char *keep_name(struct trace_bus *b, const char *s, bool *ok)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    struct trace_names *blk = b->names;
    if (!blk || blk->cap - blk->used < n) {
        size_t cap = n > NAMES_BLOCK ? n : NAMES_BLOCK;
        blk = malloc(sizeof *blk + cap);
        if (!blk) {
            *ok = false;
            return NULL;
        }
        blk->used = 0;
        blk->cap = cap;
        blk->next = b->names;
        b->names = blk;
    }
    char *t = blk->text + blk->used;
    memcpy(t, s, n);
    blk->used += n;
    return t;
}

/* The host's name as the previous interface has it (interfaces come host by
 * host), else a copy. */
static char *keep_host(struct trace_bus *b, const char *host, bool *ok)
{
    if (host && b->n_ifaces) {
        char *prev = b->ifaces[b->n_ifaces - 1].host;
        if (prev && strcmp(prev, host) == 0)
            return prev;
    }
    return keep_name(b, host, ok);
}

uint32_t trace_bus_add_iface(struct trace_bus *b, const char *host, const char *name,
                             const char *link, const uint8_t mac[6], uint32_t mtu)
{
    if (b->n_ifaces == b->cap_ifaces) {
        uint32_t cap = b->cap_ifaces ? b->cap_ifaces * 2 : 16;
        struct trace_iface *n = realloc(b->ifaces, cap * sizeof *n);
        if (!n)
            return UINT32_MAX;
        b->ifaces = n;
        b->cap_ifaces = cap;
    }
    bool ok = true;
    char *kept_host = keep_host(b, host, &ok);
    char *kept_name = keep_name(b, name, &ok);
    char *kept_link = keep_name(b, link, &ok);
    if (!ok)
        return UINT32_MAX; /* what was kept stays until the bus goes */
    struct trace_iface *i = &b->ifaces[b->n_ifaces];
    i->host = kept_host;
    i->name = kept_name;
    i->link = kept_link;
    if (mac)
        memcpy(i->mac, mac, 6);
    else
        memset(i->mac, 0, 6);
    i->mtu = mtu;
    return b->n_ifaces++;
}

void trace_emit(struct trace_bus *b, const struct trace_event *e)
{
    uint32_t bit = TRACE_MASK(e->kind);
    for (struct trace_sink *s = b->sinks; s; s = s->next)
        if (s->mask & bit)
            s->event(s, e);
}
