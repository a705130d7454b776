/* Decoding Ethernet II / ARP / IPv4 / TCP / UDP / ICMP headers for views. */
#include "rec_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void decode_arp(const uint8_t *p, uint32_t len, struct rec_frame *f)
{
    if (len < 28) {
        f->malformed = true;
        return;
    }
    f->proto = DEC_ARP;
    f->arp_op = rd16(p + 6);
    memcpy(f->arp_sha, p + 8, 6);
    f->arp_spa = rd32(p + 14);
    f->arp_tpa = rd32(p + 24);
}

/* TCP options we show: MSS, window scale, SACK-permitted, timestamps, SACK
 * blocks (RFC 9293 §3.1, RFC 7323, RFC 2018). */
static void decode_tcp_options(const uint8_t *o, uint32_t n, struct rec_frame *f)
{
    uint32_t i = 0;
    while (i < n && o[i] != 0) {
        if (o[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
            return;
        uint8_t kind = o[i], olen = o[i + 1];
        if (kind == 2 && olen == 4)
            f->mss = rd16(o + i + 2);
        else if (kind == 3 && olen == 3)
            f->wscale = (int8_t)(o[i + 2] > 14 ? 14 : o[i + 2]);
        else if (kind == 4)
            f->sack_perm = true;
        else if (kind == 8)
            f->ts = true;
        else if (kind == 5)
            f->n_sack = (uint8_t)((olen - 2) / 8);
        i += olen;
    }
}

static void decode_tcp(const uint8_t *p, uint32_t len, struct rec_frame *f, uint32_t *seq,
                       uint32_t *ack)
{
    uint32_t hl = len >= 13 ? (uint32_t)(p[12] >> 4) * 4 : 0;
    if (len < 20 || hl < 20 || hl > len) {
        f->malformed = true;
        return;
    }
    f->proto = DEC_TCP;
    f->sport = rd16(p);
    f->dport = rd16(p + 2);
    *seq = rd32(p + 4);
    *ack = rd32(p + 8);
    f->flags = p[13];
    f->win = rd16(p + 14);
    decode_tcp_options(p + 20, hl - 20, f);
    f->len = len - hl;
}

static void decode_l4(const uint8_t *p, uint32_t len, uint8_t proto, struct rec_frame *f,
                      uint32_t *seq, uint32_t *ack)
{
    if (proto == 6) {
        decode_tcp(p, len, f, seq, ack);
    } else if (proto == 17) {
        if (len < 8) {
            f->malformed = true;
            return;
        }
        f->proto = DEC_UDP;
        f->sport = rd16(p);
        f->dport = rd16(p + 2);
        f->len = len - 8;
    } else if (proto == 1) {
        if (len < 8) {
            f->malformed = true;
            return;
        }
        f->proto = DEC_ICMP;
        f->icmp_type = p[0];
        f->icmp_code = p[1];
        f->icmp_id = rd16(p + 4);
        f->icmp_seq = rd16(p + 6);
    }
}

static void decode_ip(const uint8_t *p, uint32_t len, struct rec_frame *f, uint32_t *seq,
                      uint32_t *ack)
{
    uint32_t hl = len ? (uint32_t)(p[0] & 0x0f) * 4 : 0;
    if (len < 20 || (p[0] >> 4) != 4 || hl < 20 || hl > len) {
        f->malformed = true;
        return;
    }
    uint32_t total = rd16(p + 2);
    if (total < hl || total > len) {
        f->malformed = true;
        return;
    }
    f->proto = DEC_IP;
    f->src = rd32(p + 12);
    f->dst = rd32(p + 16);
    bool first_fragment = (rd16(p + 6) & 0x1fff) == 0;
    if (first_fragment)
        decode_l4(p + hl, total - hl, p[9], f, seq, ack);
}

/* Decodes into out; rel_seq/rel_ack hold the absolute values until
 * rec_dirs_relativize. */
void rec_decode(const uint8_t *p, uint32_t len, struct rec_frame *out)
{
    memset(out, 0, sizeof *out);
    out->wscale = -1;
    out->wire_len = len;
    if (len < 14) {
        out->malformed = true;
        return;
    }
    uint16_t type = rd16(p + 12);
    if (type == 0x0806)
        decode_arp(p + 14, len - 14, out);
    else if (type == 0x0800)
        decode_ip(p + 14, len - 14, out, &out->rel_seq, &out->rel_ack);
}

static struct rec_dir *dirs_find(struct rec_dirs *d, uint32_t src, uint16_t sport, uint32_t dst,
                                 uint16_t dport)
{
    for (uint32_t i = d->n; i-- > 0;) {
        struct rec_dir *x = &d->v[i];
        if (x->src == src && x->dst == dst && x->sport == sport && x->dport == dport)
            return x;
    }
    return NULL;
}

bool rec_dirs_relativize(struct rec_dirs *d, struct rec_frame *f, uint32_t abs_seq,
                         uint32_t abs_ack)
{
    struct rec_dir *me = dirs_find(d, f->src, f->sport, f->dst, f->dport);
    if (!me) {
        if (d->n == d->cap) {
            uint32_t ncap = d->cap ? d->cap * 2 : 16;
            struct rec_dir *v = realloc(d->v, ncap * sizeof *v);
            if (!v)
                return false;
            d->v = v;
            d->cap = ncap;
        }
        me = &d->v[d->n++];
        *me = (struct rec_dir){f->src, f->dst, f->sport, f->dport, abs_seq};
    } else if (f->flags & DEC_SYN) {
        me->isn = abs_seq; /* a new SYN on the same 4-tuple starts over */
    }
    const struct rec_dir *peer = dirs_find(d, f->dst, f->dport, f->src, f->sport);
    f->rel_seq = abs_seq - me->isn;
    f->rel_ack = (peer && (f->flags & DEC_ACK)) ? abs_ack - peer->isn : 0;
    return true;
}

void rec_dirs_free(struct rec_dirs *d)
{
    free(d->v);
    *d = (struct rec_dirs){0};
}

const char *rec_tcp_flags_str(uint8_t flags, char buf[40])
{
    static const struct {
        uint8_t bit;
        const char *name;
    } order[] = {{DEC_SYN, "SYN"}, {DEC_FIN, "FIN"}, {DEC_RST, "RST"}, {DEC_PSH, "PSH"},
                 {DEC_ACK, "ACK"}, {DEC_URG, "URG"}, {DEC_ECE, "ECE"}, {DEC_CWR, "CWR"}};
    buf[0] = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(flags & order[i].bit))
            continue;
        if (buf[0])
            strcat(buf, ",");
        strcat(buf, order[i].name);
    }
    if (!buf[0])
        strcpy(buf, "none");
    return buf;
}

const char *rec_ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}
