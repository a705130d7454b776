/* The text of the visualizer's details panel: the headers of a clicked
 * packet, or the addresses and connections of a clicked host.  Pure text
 * from the recording, no SDL, so it can be tested line by line. */
#ifndef VIZ_VIZ_DETAILS_H
#define VIZ_VIZ_DETAILS_H

#include "recording.h"
#include "viz_scene.h"
#include "world.h"

#define VIZ_DETAILS_LINES 16
#define VIZ_DETAILS_COLS  160

/* The language of the panel's words (indexes its table of texts). */
enum viz_lang { VIZ_LANG_EN, VIZ_LANG_KO };

struct viz_details {
    char line[VIZ_DETAILS_LINES][VIZ_DETAILS_COLS];
    uint32_t n;
};

/* The frame sent by tx event `tx`, seen at time t: its ladder label,
 * addresses and ports, length on the wire, when it was sent and when it
 * arrives (or that it is lost).  Labels in `lang`; the ladder label, state
 * names and units stay as the protocol names them. */
void viz_details_packet(const struct recording *r, uint32_t tx, sim_time t, enum viz_lang lang,
                        struct viz_details *d);

/* World host `host` at time t (`s` is the scene at t): its addresses, then
 * for each of its connections the state and the latest cwnd, ssthresh, srtt
 * and RTO (the last cc event at or before t) and the window advertised in
 * the last frame it sent. */
void viz_details_host(const struct recording *r, const struct world_desc *w, const struct scene *s,
                      int host, sim_time t, enum viz_lang lang, struct viz_details *d);

#endif
