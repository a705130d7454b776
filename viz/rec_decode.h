/* The recording's own reading of frame bytes into a rec_frame, with
 * sequence numbers made relative to each direction's ISN (Wireshark's
 * convention).  Kept inside viz so the views depend only on bytes on the
 * wire; never reads past `len` and marks truncated headers `malformed`. */
#ifndef VIZ_REC_DECODE_H
#define VIZ_REC_DECODE_H

#include <stddef.h>

#include "recording.h"

void rec_decode(const uint8_t *p, uint32_t len, struct rec_frame *out);
/* Fills rel_seq/rel_ack of a decoded TCP frame; false when out of memory. */
bool rec_dirs_relativize(struct rec_dirs *d, struct rec_frame *f, uint32_t abs_seq,
                         uint32_t abs_ack);
void rec_dirs_free(struct rec_dirs *d);

const char *rec_tcp_flags_str(uint8_t flags, char buf[40]);
const char *rec_ip_str(uint32_t ip, char buf[16]);

#endif
