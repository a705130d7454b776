/* pcapng sink: the written file is parsed back block by block (types,
 * lengths, interface options, timestamps, packet bytes), and the temporary
 * file is renamed on finish or removed when the sink is destroyed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/sinks.h"
#include "trace_fixture.h"

static struct frame_pool pool;
static struct trace_bus bus;
static char dir[256], path[300];

static void setup(void)
{
    frame_pool_init(&pool);
    trace_bus_init(&bus);
    fx_mkdtemp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cap.pcapng", dir);
}

static void teardown(void)
{
    trace_bus_destroy(&bus);
    frame_pool_destroy(&pool);
    fx_rmdir(dir);
}

TestSuite(pcapng, .init = setup, .fini = teardown);

static void add_ifaces(int n)
{
    static const char *hosts[] = {"a", "b", "r1", "r1"};
    static const char *names[] = {"eth0", "eth0", "eth0", "eth1"};
    static const char *links[] = {"l1", "l1", "l2", "l3"};
    for (int i = 0; i < n; i++) {
        uint8_t mac[6] = {0x02, 0, 0, 0, 0, (uint8_t)(i + 1)};
        cr_assert_eq(trace_bus_add_iface(&bus, hosts[i], names[i], links[i], mac, 1500),
                     (uint32_t)i);
    }
}

/* ---- reading the file back ---- */

struct blk {
    uint32_t type, len;
    const uint8_t *body; /* after type and length */
};

struct capture {
    uint8_t *data;
    size_t size;
    struct blk b[32];
    int n;
};

static uint32_t rd32le(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t rd16le(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* Reads the file and splits it into blocks, checking each block's framing:
 * a length that is a multiple of 4 and repeated at the block's end. */
static void read_capture(struct capture *c)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no capture at %s", path);
    fseek(f, 0, SEEK_END);
    c->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    c->data = malloc(c->size);
    cr_assert_eq(fread(c->data, 1, c->size, f), c->size);
    fclose(f);
    c->n = 0;
    for (size_t off = 0; off < c->size;) {
        cr_assert_leq(off + 12, c->size);
        uint32_t len = rd32le(c->data + off + 4);
        cr_assert_eq(len % 4, 0, "block length %u not 32-bit aligned", len);
        cr_assert_leq(off + len, c->size);
        cr_assert_eq(rd32le(c->data + off + len - 4), len, "trailing length differs");
        cr_assert_lt(c->n, 32);
        c->b[c->n++] = (struct blk){rd32le(c->data + off), len, c->data + off + 8};
        off += len;
    }
}

/* The value of option `code` in the options that start at `opts` and end
 * before the block's trailing length; NULL when absent. */
static const uint8_t *find_option(const struct blk *b, size_t opts_at, uint16_t code, uint16_t *len)
{
    const uint8_t *p = b->body + opts_at;
    const uint8_t *end = b->body + b->len - 12;
    while (p + 4 <= end) {
        uint16_t c = rd16le(p), l = rd16le(p + 2);
        if (c == 0)
            break;
        if (c == code) {
            *len = l;
            return p + 4;
        }
        p += 4 + ((l + 3u) & ~3u);
    }
    return NULL;
}

static void option_str(const struct blk *b, size_t opts_at, uint16_t code, char *out, size_t cap)
{
    uint16_t len = 0;
    const uint8_t *v = find_option(b, opts_at, code, &len);
    cr_assert_not_null(v, "option %u missing", code);
    cr_assert_lt(len, cap);
    memcpy(out, v, len);
    out[len] = '\0';
}

#define IDB_OPTS         8 /* linktype, reserved, snaplen */
#define EPB_OPTS(caplen) (20 + (((caplen) + 3u) & ~3u))

static void write_capture(const struct trace_event *ev, int n)
{
    struct pcapng_sink *p = pcapng_sink_create(path, &bus);
    cr_assert_not_null(p);
    trace_bus_add_sink(&bus, pcapng_sink_base(p));
    for (int i = 0; i < n; i++)
        trace_emit(&bus, &ev[i]);
    cr_assert(pcapng_sink_finish(p));
    trace_bus_remove_sink(&bus, pcapng_sink_base(p));
    pcapng_sink_destroy(p);
}

/* ---- structure ---- */

Test(pcapng, section_header_then_one_idb_per_interface)
{
    add_ifaces(3);
    write_capture(NULL, 0);
    struct capture c;
    read_capture(&c);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.b[0].type, 0x0A0D0D0Au);
    cr_assert_eq(rd32le(c.b[0].body), 0x1A2B3C4Du, "byte-order magic");
    cr_assert_eq(rd16le(c.b[0].body + 4), 1, "major version");
    cr_assert_eq(rd16le(c.b[0].body + 6), 0, "minor version");
    cr_assert_eq(rd32le(c.b[0].body + 8), 0xFFFFFFFFu, "section length unspecified");
    cr_assert_eq(rd32le(c.b[0].body + 12), 0xFFFFFFFFu);
    for (int i = 1; i < 4; i++)
        cr_assert_eq(c.b[i].type, 1u, "block %d is an IDB", i);
    free(c.data);
}

Test(pcapng, idb_describes_ethernet_interface_in_nanoseconds)
{
    add_ifaces(4);
    write_capture(NULL, 0);
    struct capture c;
    read_capture(&c);
    const struct blk *idb = &c.b[4]; /* r1's eth1 */
    cr_assert_eq(rd16le(idb->body), 1, "LINKTYPE_ETHERNET");
    cr_assert_geq(rd32le(idb->body + 4), FRAME_LARGE_CAP, "snaplen fits every frame");
    char s[64];
    option_str(idb, IDB_OPTS, 2, s, sizeof s);
    cr_assert_str_eq(s, "r1:eth1");
    option_str(idb, IDB_OPTS, 3, s, sizeof s);
    cr_assert_str_eq(s, "l3");
    uint16_t len = 0;
    const uint8_t *tsresol = find_option(idb, IDB_OPTS, 9, &len);
    cr_assert_not_null(tsresol);
    cr_assert_eq(len, 1);
    cr_assert_eq(tsresol[0], 9);
    const uint8_t *mac = find_option(idb, IDB_OPTS, 6, &len);
    cr_assert_not_null(mac);
    cr_assert_eq(len, 6);
    cr_assert_eq(mac[5], 4);
    free(c.data);
}

Test(pcapng, tx_and_rx_written_drops_skipped)
{
    add_ifaces(2);
    struct frame *f = fx_syn(&pool, 1);
    struct trace_event ev[3] = {
        {.t = 1000, .kind = TRACE_TX, .host = "a", .frame = f, .iface = 0},
        {.t = 2000, .kind = TRACE_RX, .host = "b", .frame = f, .iface = 1},
        {.t = 3000, .kind = TRACE_DROP, .host = "b", .frame = f, .iface = 1, .reason = "x"},
    };
    write_capture(ev, 3);
    struct capture c;
    read_capture(&c);
    cr_assert_eq(c.n, 3 + 2);
    cr_assert_eq(c.b[3].type, 6u);
    cr_assert_eq(c.b[4].type, 6u);
    cr_assert_eq(rd32le(c.b[3].body), 0, "tx on the sender's interface");
    cr_assert_eq(rd32le(c.b[4].body), 1, "rx on the receiver's interface");
    free(c.data);
    frame_free(&pool, f);
}

Test(pcapng, epb_timestamp_split_high_low)
{
    add_ifaces(1);
    struct frame *f = fx_udp(&pool, 1, 4);
    sim_time t = 7 * SIM_SEC + 123; /* above 2^32 ns */
    write_capture(&(struct trace_event){.t = t, .kind = TRACE_TX, .frame = f}, 1);
    struct capture c;
    read_capture(&c);
    const struct blk *epb = &c.b[2];
    uint64_t ts = (uint64_t)rd32le(epb->body + 4) << 32 | rd32le(epb->body + 8);
    cr_assert_eq(ts, (uint64_t)t);
    cr_assert_neq(rd32le(epb->body + 4), 0, "high word used");
    free(c.data);
    frame_free(&pool, f);
}

Test(pcapng, epb_holds_exact_bytes_padded_to_32_bits)
{
    add_ifaces(1);
    struct frame *f = fx_udp(&pool, 1, 5); /* 14 + 20 + 13 = 47 bytes */
    write_capture(&(struct trace_event){.t = 1, .kind = TRACE_TX, .frame = f}, 1);
    struct capture c;
    read_capture(&c);
    const struct blk *epb = &c.b[2];
    cr_assert_eq(rd32le(epb->body + 12), 47, "captured length");
    cr_assert_eq(rd32le(epb->body + 16), 47, "original length");
    cr_assert_eq(memcmp(epb->body + 20, f->data, 47), 0);
    cr_assert_eq(epb->body[20 + 47], 0, "zero padding");
    uint16_t len = 0;
    cr_assert_not_null(find_option(epb, EPB_OPTS(47), 2, &len), "epb_flags after the padding");
    free(c.data);
    frame_free(&pool, f);
}

Test(pcapng, epb_flags_mark_direction)
{
    add_ifaces(2);
    struct frame *f = fx_arp_request(&pool, 1);
    struct trace_event ev[2] = {{.t = 1, .kind = TRACE_TX, .frame = f, .iface = 0},
                                {.t = 2, .kind = TRACE_RX, .frame = f, .iface = 1}};
    write_capture(ev, 2);
    struct capture c;
    read_capture(&c);
    uint16_t len = 0;
    const uint8_t *tx = find_option(&c.b[3], EPB_OPTS(60), 2, &len);
    cr_assert_not_null(tx);
    cr_assert_eq(len, 4);
    cr_assert_eq(rd32le(tx) & 3, 2, "outbound");
    const uint8_t *rx = find_option(&c.b[4], EPB_OPTS(60), 2, &len);
    cr_assert_not_null(rx);
    cr_assert_eq(rd32le(rx) & 3, 1, "inbound");
    free(c.data);
    frame_free(&pool, f);
}

Test(pcapng, late_interface_described_before_its_packet)
{
    add_ifaces(1);
    struct pcapng_sink *p = pcapng_sink_create(path, &bus);
    cr_assert_not_null(p);
    uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
    cr_assert_eq(trace_bus_add_iface(&bus, "late", "eth0", "l9", mac, 1500), 1u);
    struct frame *f = fx_syn(&pool, 1);
    pcapng_sink_base(p)->event(
        pcapng_sink_base(p),
        &(struct trace_event){.t = 1, .kind = TRACE_RX, .frame = f, .iface = 1});
    cr_assert(pcapng_sink_finish(p));
    pcapng_sink_destroy(p);
    struct capture c;
    read_capture(&c);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.b[1].type, 1u);
    cr_assert_eq(c.b[2].type, 1u, "the late interface's IDB comes before the packet");
    cr_assert_eq(c.b[3].type, 6u);
    char s[32];
    option_str(&c.b[2], IDB_OPTS, 2, s, sizeof s);
    cr_assert_str_eq(s, "late:eth0");
    free(c.data);
    frame_free(&pool, f);
}

Test(pcapng, frame_on_unknown_interface_skipped)
{
    add_ifaces(1);
    struct frame *f = fx_syn(&pool, 1);
    write_capture(&(struct trace_event){.t = 1, .kind = TRACE_TX, .frame = f, .iface = 5}, 1);
    struct capture c;
    read_capture(&c);
    cr_assert_eq(c.n, 2);
    free(c.data);
    frame_free(&pool, f);
}

/* ---- the temporary file ---- */

Test(pcapng, finish_renames_temp_to_path)
{
    add_ifaces(1);
    struct pcapng_sink *p = pcapng_sink_create(path, &bus);
    cr_assert_not_null(p);
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "nothing at the path before finish");
    cr_assert_eq(fx_dir_entries(dir), 1, "the temporary file");
    cr_assert(pcapng_sink_finish(p));
    pcapng_sink_destroy(p);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(fx_dir_entries(dir), 1, "only the capture is left");
}

Test(pcapng, destroy_without_finish_removes_temp)
{
    add_ifaces(1);
    struct pcapng_sink *p = pcapng_sink_create(path, &bus);
    cr_assert_not_null(p);
    struct frame *f = fx_syn(&pool, 1);
    pcapng_sink_base(p)->event(pcapng_sink_base(p),
                               &(struct trace_event){.t = 1, .kind = TRACE_TX, .frame = f});
    pcapng_sink_destroy(p);
    cr_assert_eq(fx_dir_entries(dir), 0);
    frame_free(&pool, f);
}

Test(pcapng, create_in_missing_directory_fails)
{
    char bad[400];
    snprintf(bad, sizeof bad, "%s/no/such/dir/cap.pcapng", dir);
    cr_assert_null(pcapng_sink_create(bad, &bus));
}
