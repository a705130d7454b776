/* pcapng capture of every frame on the wire (draft-ietf-opsawg-pcapng).
 *
 * Layout: one Section Header Block, one Interface Description Block per
 * interface registered on the bus (in registration order, so IDB number i is
 * bus interface i), then an Enhanced Packet Block for each tx event (on the
 * sender's interface, flagged outbound) and each rx event (on the receiver's,
 * flagged inbound).  Drops are not written: a frame lost on a link still
 * appears at its tx, and a frame dropped by a host still appears at its rx.
 *
 * The caller creates the sink after the world is built, so that every
 * interface is described in the header before the first packet.  An interface
 * registered later still gets its IDB, written before the first packet that
 * refers to it, which the format allows (IDBs may appear anywhere in a section
 * before their use).  The bus must outlive the sink.
 *
 * Blocks are written in the host's byte order; the SHB's byte-order magic
 * tells readers which one it is.  Timestamps are simulated nanoseconds
 * (if_tsresol = 9). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "sinks.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u

#define BYTE_ORDER_MAGIC  0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1u
#define SNAPLEN           262144u /* Wireshark's maximum; frames never reach it */

#define OPT_ENDOFOPT     0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME      2
#define OPT_IF_DESC      3
#define OPT_IF_MAC       6
#define OPT_IF_TSRESOL   9
#define OPT_EPB_FLAGS    2

#define EPB_FLAG_INBOUND  1u /* bits 0-1: packet direction */
#define EPB_FLAG_OUTBOUND 2u

/* A block assembled in memory, then written with one fwrite.  Options and
 * packet data are padded to 32 bits as the format requires.  The buffer is
 * kept between blocks, so steady state allocates nothing. */
struct block {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

struct pcapng_sink {
    struct trace_sink base; /* first: the bus hands us this pointer */
    const struct trace_bus *bus;
    FILE *out;
    char *path, *tmp_path;
    uint32_t ifaces_written; /* IDBs written so far: bus interfaces [0, n) */
    bool failed, finished;
    struct block blk;
};

static void blk_bytes(struct block *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void blk_u16(struct block *b, uint16_t v)
{
    blk_bytes(b, &v, sizeof v);
}

static void blk_u32(struct block *b, uint32_t v)
{
    blk_bytes(b, &v, sizeof v);
}

static void blk_pad32(struct block *b)
{
    static const uint8_t zero[4];
    size_t pad = (4 - b->len % 4) % 4;
    blk_bytes(b, zero, pad);
}

static void blk_option(struct block *b, uint16_t code, const void *val, size_t n)
{
    blk_u16(b, code);
    blk_u16(b, (uint16_t)n);
    blk_bytes(b, val, n);
    blk_pad32(b);
}

static void blk_option_str(struct block *b, uint16_t code, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT16_MAX - 8) /* an option value is at most 65535 bytes */
        n = UINT16_MAX - 8;
    blk_option(b, code, s, n);
}

static void blk_begin(struct block *b, uint32_t type)
{
    b->len = 0;
    blk_u32(b, type);
    blk_u32(b, 0); /* total length, set by blk_end */
}

/* Closes options with opt_endofopt and repeats the total length. */
static void blk_end(struct block *b)
{
    blk_u16(b, OPT_ENDOFOPT);
    blk_u16(b, 0);
    uint32_t total = (uint32_t)(b->len + 4);
    blk_u32(b, total);
    if (!b->oom)
        memcpy(b->p + 4, &total, sizeof total);
}

static void write_block(struct pcapng_sink *p, struct block *b)
{
    if (b->oom || fwrite(b->p, 1, b->len, p->out) != b->len)
        p->failed = true;
}

/* ---- the blocks ---- */

static void write_shb(struct pcapng_sink *p, struct block *b)
{
    blk_begin(b, BT_SHB);
    blk_u32(b, BYTE_ORDER_MAGIC);
    blk_u16(b, 1);           /* major version */
    blk_u16(b, 0);           /* minor version */
    blk_u32(b, 0xFFFFFFFFu); /* section length: unspecified (64 bits of -1) */
    blk_u32(b, 0xFFFFFFFFu);
    blk_option_str(b, OPT_SHB_USERAPPL, "tcpsim");
    blk_end(b);
    write_block(p, b);
}

/* if_name "host:eth0" names the capture point the way users name it. */
static void write_idb(struct pcapng_sink *p, struct block *b, const struct trace_iface *i)
{
    const char *host = i->host ? i->host : "?";
    const char *name = i->name ? i->name : "?";
    size_t n = strlen(host) + strlen(name) + 2;
    char *if_name = malloc(n);
    if (!if_name) {
        p->failed = true;
        return;
    }
    snprintf(if_name, n, "%s:%s", host, name);
    uint8_t tsresol = 9; /* 10^-9 s */

    blk_begin(b, BT_IDB);
    blk_u16(b, LINKTYPE_ETHERNET);
    blk_u16(b, 0); /* reserved */
    blk_u32(b, SNAPLEN);
    blk_option_str(b, OPT_IF_NAME, if_name);
    if (i->link)
        blk_option_str(b, OPT_IF_DESC, i->link);
    blk_option(b, OPT_IF_MAC, i->mac, 6);
    blk_option(b, OPT_IF_TSRESOL, &tsresol, 1);
    blk_end(b);
    write_block(p, b);
    free(if_name);
}

/* Describes the bus interfaces not yet written. */
static void write_new_idbs(struct pcapng_sink *p, struct block *b)
{
    for (; p->ifaces_written < p->bus->n_ifaces; p->ifaces_written++)
        write_idb(p, b, &p->bus->ifaces[p->ifaces_written]);
}

static void write_epb(struct pcapng_sink *p, struct block *b, const struct trace_event *e)
{
    const struct frame *f = e->frame;
    uint64_t ts = e->t > 0 ? (uint64_t)e->t : 0;
    uint32_t caplen = f->len < SNAPLEN ? f->len : SNAPLEN;
    uint32_t flags = e->kind == TRACE_TX ? EPB_FLAG_OUTBOUND : EPB_FLAG_INBOUND;

    blk_begin(b, BT_EPB);
    blk_u32(b, e->iface);
    blk_u32(b, (uint32_t)(ts >> 32));
    blk_u32(b, (uint32_t)ts);
    blk_u32(b, caplen);
    blk_u32(b, f->len);
    blk_bytes(b, f->data, caplen);
    blk_pad32(b);
    blk_option(b, OPT_EPB_FLAGS, &flags, sizeof flags);
    blk_end(b);
    write_block(p, b);
}

static void on_event(struct trace_sink *s, const struct trace_event *e)
{
    struct pcapng_sink *p = (struct pcapng_sink *)s;
    if (!e->frame || p->failed || p->finished)
        return;
    if (e->iface >= p->ifaces_written)
        write_new_idbs(p, &p->blk);
    /* A frame on an interface the bus does not know cannot be attributed. */
    if (e->iface < p->ifaces_written)
        write_epb(p, &p->blk, e);
}

/* ---- life cycle ---- */

static char *concat(const char *a, const char *b)
{
    size_t size = strlen(a) + strlen(b) + 1;
    char *s = malloc(size);
    if (s)
        snprintf(s, size, "%s%s", a, b);
    return s;
}

/* The temporary file lives beside the target so the final rename stays on
 * one file system (and so is atomic). */
static bool open_temp(struct pcapng_sink *p, const char *path)
{
    p->path = strdup(path);
    p->tmp_path = concat(path, ".tmp.XXXXXX");
    if (!p->path || !p->tmp_path)
        return false;
    int fd = mkstemp(p->tmp_path);
    if (fd < 0) {
        free(p->tmp_path);
        p->tmp_path = NULL;
        return false;
    }
    /* mkstemp makes the file private (0600); a capture is an ordinary output
     * file, readable like one created with the usual umask 022. */
    (void)fchmod(fd, 0644);
    p->out = fdopen(fd, "wb");
    if (!p->out) {
        close(fd);
        return false;
    }
    return true;
}

static void discard_temp(struct pcapng_sink *p)
{
    if (p->out) {
        fclose(p->out);
        p->out = NULL;
    }
    if (p->tmp_path) {
        unlink(p->tmp_path);
        free(p->tmp_path);
        p->tmp_path = NULL;
    }
}

struct pcapng_sink *pcapng_sink_create(const char *path, const struct trace_bus *bus)
{
    struct pcapng_sink *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base.event = on_event;
    p->base.mask = TRACE_MASK(TRACE_TX) | TRACE_MASK(TRACE_RX);
    p->bus = bus;
    if (!open_temp(p, path)) {
        int err = errno;
        pcapng_sink_destroy(p);
        errno = err;
        return NULL;
    }
    write_shb(p, &p->blk);
    write_new_idbs(p, &p->blk);
    return p;
}

struct trace_sink *pcapng_sink_base(struct pcapng_sink *p)
{
    return &p->base;
}

bool pcapng_sink_finish(struct pcapng_sink *p)
{
    if (p->finished)
        return !p->failed;
    p->finished = true;
    if (!p->failed) {
        /* Interfaces registered after the last packet are still described. */
        write_new_idbs(p, &p->blk);
    }
    FILE *out = p->out;
    p->out = NULL;
    if (fflush(out) != 0 || ferror(out))
        p->failed = true;
    if (fclose(out) != 0)
        p->failed = true;
    if (!p->failed && rename(p->tmp_path, p->path) != 0)
        p->failed = true;
    if (p->failed) {
        int err = errno;
        discard_temp(p);
        errno = err;
        return false;
    }
    free(p->tmp_path);
    p->tmp_path = NULL;
    return true;
}

void pcapng_sink_destroy(struct pcapng_sink *p)
{
    if (!p)
        return;
    discard_temp(p);
    free(p->blk.p);
    free(p->path);
    free(p);
}
