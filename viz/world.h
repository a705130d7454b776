/* What the views know of a world besides its events: the hosts and links as
 * the scenario described them.  Filled by the scenario loader; views never
 * see the stack. */
#ifndef VIZ_WORLD_H
#define VIZ_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/time.h"

struct world_host {
    const char *name;
    bool router;
    uint32_t n_addrs;
    uint32_t addrs[8]; /* host byte order */
    uint8_t prefix[8];
    bool has_pos;
    double x, y; /* optional `pos` from the scenario, in [0,1] */
};

struct world_link {
    const char *name;
    uint32_t a, b; /* host indices */
    sim_time delay;
    uint64_t rate_bps;
    double loss;
    uint32_t mtu;
};

struct world_desc {
    const char *name;
    const char *title;
    const char *desc_en, *desc_ko;
    sim_time duration;
    uint32_t n_hosts, n_links;
    const struct world_host *hosts;
    const struct world_link *links;
};

#endif
