/* What the visualizer shows at one simulated instant, worked out from the
 * recording alone: where hosts sit, which frames are on which wire, the
 * states of the connections.  Pure computation, no SDL. */
#ifndef VIZ_SCENE_H
#define VIZ_SCENE_H

#include "recording.h"
#include "world.h"

#define SCENE_MAX_HOSTS 64
#define SCENE_MAX_CONNS 32

enum scene_kind {
    SK_SYN,
    SK_SYNACK,
    SK_ACK,
    SK_DATA,
    SK_FIN,
    SK_RST,
    SK_UDP,
    SK_ICMP,
    SK_ARP,
    SK_OTHER,
    SK_COUNT
};

struct scene_packet {
    uint32_t event;  /* its tx event */
    int from, to;    /* world host indices (to may be -1) */
    double progress; /* 0..1 along the way */
    bool lost;       /* already dropped: drawn as an x where it was lost */
    enum scene_kind kind;
};

struct scene_conn {
    uint32_t conn;        /* recording string index */
    int host;             /* world host index */
    uint32_t state, prev; /* recording string indices */
};

struct scene {
    double hx[SCENE_MAX_HOSTS], hy[SCENE_MAX_HOSTS]; /* in [0,1] */
    struct scene_packet *packets;
    uint32_t n_packets, cap_packets;
    struct scene_conn conns[SCENE_MAX_CONNS];
    uint32_t n_conns;
    int last_conn; /* index in conns of the latest state change, -1 none */
    uint32_t upto; /* events with index < upto happened by the scene's time */
};

void scene_layout(const struct world_desc *w, struct scene *s);
/* Fills packets and connection states at time t. */
void scene_at(const struct recording *r, const struct world_desc *w, sim_time t, struct scene *s);
void scene_free(struct scene *s);
enum scene_kind scene_kind_of(const struct rec_frame *f);
int scene_host_index(const struct world_desc *w, const char *name);

#endif
