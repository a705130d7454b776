/* Decoding frames for observers: a read-only summary of the headers of one
 * Ethernet frame (ARP, IPv4, ICMP, UDP, TCP with options), the way a capture
 * tool dissects it.  Used by trace sinks, link fault filters and expectations;
 * the protocol stack has its own parsers and never depends on this.
 *
 * Decoding never reads past `len`; a truncated or malformed header stops the
 * decode at the last layer that was complete and sets `malformed`. */
#ifndef SIM_DECODE_H
#define SIM_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum dec_proto { DEC_OTHER, DEC_ARP, DEC_IP, DEC_ICMP, DEC_UDP, DEC_TCP };

/* TCP flag bits as on the wire. */
#define DEC_FIN 0x01
#define DEC_SYN 0x02
#define DEC_RST 0x04
#define DEC_PSH 0x08
#define DEC_ACK 0x10
#define DEC_URG 0x20
#define DEC_ECE 0x40
#define DEC_CWR 0x80

struct frame_summary {
    enum dec_proto proto; /* the innermost layer decoded */
    bool malformed;
    uint8_t eth_dst[6], eth_src[6];
    uint16_t ethertype;

    /* ARP */
    uint16_t arp_op; /* 1 request, 2 reply */
    uint8_t arp_sha[6], arp_tha[6];
    uint32_t arp_spa, arp_tpa; /* host byte order */

    /* IPv4 (addresses in host byte order) */
    uint32_t ip_src, ip_dst;
    uint8_t ip_proto, ttl, tos;
    uint16_t ip_id, ip_total_len;
    uint16_t frag_offset; /* in bytes */
    bool df, mf;
    bool fragment; /* mf or offset: a piece of a larger datagram */
    bool ip_csum_ok;

    /* UDP / TCP ports and payload */
    uint16_t sport, dport;
    uint32_t payload_len; /* UDP or TCP payload bytes in this frame */
    uint32_t payload_off; /* offset of the payload in the frame */

    /* TCP */
    uint32_t seq, ack; /* absolute, as on the wire */
    uint8_t flags;
    uint16_t win; /* raw field, unscaled */
    uint16_t opt_mss;
    int8_t opt_wscale; /* -1 when absent */
    bool opt_sack_perm;
    bool opt_ts;
    uint32_t ts_val, ts_ecr;
    uint8_t n_sack;
    uint32_t sack[4][2]; /* absolute left/right edges */

    /* ICMP */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    uint16_t icmp_mtu; /* next-hop MTU of "fragmentation needed" */
    /* the datagram quoted inside an ICMP error */
    uint8_t inner_proto;
    uint32_t inner_src, inner_dst;
    uint16_t inner_sport, inner_dport;
};

/* Fills `out` (zeroed first; opt_wscale -1) and returns !out->malformed.
 * Only the first fragment of a datagram has ports; payload_len counts the
 * transport payload carried in this frame (for a first fragment, its share). */
bool frame_decode(const uint8_t *p, uint32_t len, struct frame_summary *out);

/* "SYN", "SYN,ACK", "FIN,ACK", "ACK", "RST,ACK" ... (fixed order: SYN FIN RST PSH ACK URG ECE CWR). */
const char *dec_tcp_flags_str(uint8_t flags, char buf[40]);
/* Parses "SYN,ACK" (case-insensitive, any order) into bits; false if a name is unknown. */
bool dec_tcp_flags_parse(const char *s, uint8_t *out);
/* "10.0.0.1" */
const char *dec_ip_str(uint32_t ip, char buf[16]);
/* "arp", "ip", "icmp", "udp", "tcp", "other": also the trace's "proto" values,
 * so these names are part of the trace format (docs/TRACE.md). */
const char *dec_proto_name(enum dec_proto p);

/* Sequence numbers relative to each direction's ISN, as Wireshark shows them.
 * A table per observer: it learns the base of each (src, sport, dst, dport)
 * direction from the SYN (or, failing that, the first segment) it sees, and a
 * new SYN on the same four-tuple starts a new base. */
struct seqrel_entry;
struct seqrel {
    struct seqrel_entry *slots;
    uint32_t cap, used;
};

void seqrel_init(struct seqrel *t);
void seqrel_destroy(struct seqrel *t);
/* Feeds a TCP frame's summary and returns its relative seq and ack (ack
 * relative to the reverse direction's base, 0 when unknown). */
void seqrel_observe(struct seqrel *t, const struct frame_summary *s, uint32_t *rel_seq,
                    uint32_t *rel_ack);

/* A frame filter, as in scenario faults and count expectations (SPEC §3). */
struct frame_filter {
    bool has_proto, has_flags, has_seq, has_len;
    enum dec_proto proto; /* DEC_IP matches any IPv4 frame */
    uint8_t tcp_flags;    /* frame must have at least these */
    uint32_t seq;         /* relative */
    uint32_t len;         /* payload bytes */
};

/* rel_seq is the relative sequence number from a seqrel table.  `proto`
 * compares the IP protocol field for icmp/udp/tcp, so later fragments match
 * too; flags and seq need a decoded TCP header, len a UDP or TCP header. */
bool frame_filter_match(const struct frame_filter *f, const struct frame_summary *s,
                        uint32_t rel_seq);

#endif
