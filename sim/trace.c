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

void trace_bus_destroy(struct trace_bus *b)
{
    for (uint32_t i = 0; i < b->n_ifaces; i++) {
        free(b->ifaces[i].host);
        free(b->ifaces[i].name);
        free(b->ifaces[i].link);
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

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
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
    struct trace_iface *i = &b->ifaces[b->n_ifaces];
    i->host = dup_or_null(host);
    i->name = dup_or_null(name);
    i->link = dup_or_null(link);
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
