/* Each host's connected subnets, sorted, for the path queries of routes.c:
 * whether a host owns an address, is on its subnet, and through which link
 * a gateway is reached.  Checking that 10,000 clients and their server can
 * reach each other asks these questions of routers and servers with dozens
 * of interfaces; a binary search answers each instead of a scan.
 *
 * Valid once addresses are final and checked: the subnets of all links are
 * then disjoint (and no link joins a host to itself), so at most one
 * subnet of a host holds an address. */
#include <stdlib.h>

#include "scn_internal.h"

static uint32_t mask_of(uint8_t prefix)
{
    return prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

static int cmp_subnet(const void *a, const void *b)
{
    const struct scn_subnet *x = a, *y = b;
    if (x->net != y->net)
        return x->net < y->net ? -1 : 1;
    return x->link < y->link ? -1 : x->link > y->link;
}

/* Host h's end of link k. */
static int side_of(const struct scn_link *k, uint32_t h)
{
    return k->end[0].host == h ? 0 : 1;
}

bool scn_subnets_build(struct scn_subnets *s, const struct scenario *sc)
{
    size_t total = 0;
    for (uint32_t h = 0; h < sc->n_hosts; h++)
        total += sc->hosts[h].n_links;
    s->first = calloc((size_t)sc->n_hosts + 1, sizeof *s->first);
    s->v = calloc(total ? total : 1, sizeof *s->v);
    if (!s->first || !s->v) {
        scn_subnets_free(s);
        return false;
    }
    uint32_t n = 0;
    for (uint32_t h = 0; h < sc->n_hosts; h++) {
        const struct scn_host *host = &sc->hosts[h];
        s->first[h] = n;
        for (uint32_t i = 0; i < host->n_links; i++) {
            const struct scn_link *k = &sc->links[host->links[i]];
            int side = side_of(k, h);
            const struct scn_end *e = &k->end[side];
            s->v[n++] = (struct scn_subnet){.net = e->ip & mask_of(e->prefix_len),
                                            .own = e->ip,
                                            .peer = k->end[1 - side].ip,
                                            .link = host->links[i],
                                            .peer_host = k->end[1 - side].host,
                                            .prefix_len = e->prefix_len};
        }
        qsort(s->v + s->first[h], n - s->first[h], sizeof *s->v, cmp_subnet);
    }
    s->first[sc->n_hosts] = n;
    return true;
}

void scn_subnets_free(struct scn_subnets *s)
{
    free(s->v);
    free(s->first);
    s->v = NULL;
    s->first = NULL;
}

const struct scn_subnet *scn_subnet_of(const struct scn_subnets *s, uint32_t h, uint32_t ip)
{
    /* The last subnet starting at or below ip is the only one that can hold
     * it: any other would overlap it. */
    uint32_t lo = s->first[h], hi = s->first[h + 1];
    uint32_t base = lo;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].net <= ip)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == base)
        return NULL;
    const struct scn_subnet *e = &s->v[lo - 1];
    return (ip & mask_of(e->prefix_len)) == e->net ? e : NULL;
}
