/* JSON Lines sink: the exact line of each kind, key order, escaping, relative
 * sequence numbers, the digest, long lines and write errors. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sinks.h"
#include "trace_fixture.h"

static struct frame_pool pool;

static void setup(void)
{
    frame_pool_init(&pool);
}

static void teardown(void)
{
    frame_pool_destroy(&pool);
}

TestSuite(jsonl, .init = setup, .fini = teardown);

/* Runs events through a sink on a bus writing to memory; returns the text
 * (caller frees) and the digest. */
static char *emit_all(const struct trace_event *evs, size_t n, char digest[72])
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    cr_assert_not_null(mem);
    struct jsonl_sink *j = jsonl_sink_create(mem, true);
    struct trace_bus bus;
    trace_bus_init(&bus);
    trace_bus_add_sink(&bus, jsonl_sink_base(j));
    for (size_t i = 0; i < n; i++)
        trace_emit(&bus, &evs[i]);
    char d[72];
    cr_assert(jsonl_sink_finish(j, digest ? digest : d));
    jsonl_sink_destroy(j);
    trace_bus_destroy(&bus);
    fclose(mem);
    return text;
}

/* The line must parse as one JSON object starting with "t" then "ev". */
static void assert_valid_line(const char *line)
{
    cJSON *o = cJSON_Parse(line);
    cr_assert_not_null(o, "not JSON: %s", line);
    cr_assert(cJSON_IsObject(o));
    cr_assert_str_eq(o->child->string, "t");
    cr_assert_str_eq(o->child->next->string, "ev");
    cJSON_Delete(o);
}

static void expect_line(const struct trace_event *e, const char *want)
{
    char *got = emit_all(e, 1, NULL);
    cr_assert_str_eq(got, want);
    assert_valid_line(got);
    free(got);
}

/* The n-th line (0-based) of text, copied into buf. */
static const char *nth_line(const char *text, int n, char *buf, size_t cap)
{
    const char *p = text;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '\n');
        cr_assert_not_null(p);
        p++;
    }
    size_t len = strcspn(p, "\n");
    cr_assert_eq(p[len], '\n');
    cr_assert_lt(len, cap);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* ---- frame events ---- */

Test(jsonl, tx_syn_exact_line)
{
    struct frame *f = fx_syn(&pool, 7);
    expect_line(
        &(struct trace_event){
            .t = 1000, .kind = TRACE_TX, .host = "a", .frame = f, .ifname = "eth0", .link = "l1"},
        "{\"t\":1000,\"ev\":\"tx\",\"host\":\"a\",\"link\":\"l1\",\"iface\":\"eth0\","
        "\"id\":7,\"len\":74,\"proto\":\"tcp\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\","
        "\"ttl\":64,\"sport\":49152,\"dport\":80,\"flags\":\"SYN\",\"seq\":0,\"plen\":0,"
        "\"win\":64240,\"mss\":1460,\"ws\":7,\"sack_perm\":true,\"tsval\":1000,"
        "\"tsecr\":0}\n");
    frame_free(&pool, f);
}

Test(jsonl, rx_duplicate_marked)
{
    struct frame *f = fx_udp(&pool, 3, 10);
    expect_line(&(struct trace_event){.t = 5,
                                      .kind = TRACE_RX,
                                      .host = "b",
                                      .frame = f,
                                      .ifname = "eth0",
                                      .link = "l1",
                                      .dup = true},
                "{\"t\":5,\"ev\":\"rx\",\"host\":\"b\",\"link\":\"l1\",\"iface\":\"eth0\",\"id\":3,"
                "\"len\":52,\"proto\":\"udp\",\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"ttl\":64,"
                "\"sport\":40000,\"dport\":40001,\"plen\":10,\"dup\":true}\n");
    frame_free(&pool, f);
}

Test(jsonl, drop_with_frame_ends_with_reason)
{
    struct frame *f = fx_icmp_echo(&pool, 9, 0x4242, 3);
    expect_line(
        &(struct trace_event){
            .t = 2, .kind = TRACE_DROP, .frame = f, .link = "l1", .reason = "loss"},
        "{\"t\":2,\"ev\":\"drop\",\"link\":\"l1\",\"id\":9,\"len\":58,\"proto\":\"icmp\","
        "\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"ttl\":64,\"type\":8,\"code\":0,"
        "\"icmp_id\":16962,\"icmp_seq\":3,\"reason\":\"loss\"}\n");
    frame_free(&pool, f);
}

Test(jsonl, drop_without_frame_keeps_reason)
{
    expect_line(
        &(struct trace_event){.t = 4, .kind = TRACE_DROP, .host = "srv", .reason = "no_listener"},
        "{\"t\":4,\"ev\":\"drop\",\"host\":\"srv\",\"reason\":\"no_listener\"}\n");
}

Test(jsonl, arp_request)
{
    struct frame *f = fx_arp_request(&pool, 1);
    expect_line(
        &(struct trace_event){
            .t = 0, .kind = TRACE_TX, .host = "a", .frame = f, .ifname = "eth0", .link = "l1"},
        "{\"t\":0,\"ev\":\"tx\",\"host\":\"a\",\"link\":\"l1\",\"iface\":\"eth0\",\"id\":1,"
        "\"len\":60,\"proto\":\"arp\",\"op\":\"request\",\"spa\":\"10.0.0.1\","
        "\"tpa\":\"10.0.0.2\"}\n");
    frame_free(&pool, f);
}

Test(jsonl, fragment_offset_and_more_flag)
{
    struct frame *f = fx_fragment(&pool, 2, 1480, true);
    expect_line(&(struct trace_event){.t = 1, .kind = TRACE_TX, .host = "a", .frame = f},
                "{\"t\":1,\"ev\":\"tx\",\"host\":\"a\",\"id\":2,\"len\":66,\"proto\":\"ip\","
                "\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"ttl\":64,\"frag\":1480,"
                "\"mf\":true}\n");
    frame_free(&pool, f);
}

Test(jsonl, truncated_frame_marked_malformed)
{
    struct frame *f = fx_syn(&pool, 5);
    f->len = 14 + 20 + 10; /* cut inside the TCP header */
    char *got = emit_all(&(struct trace_event){.t = 1, .kind = TRACE_RX, .frame = f}, 1, NULL);
    cr_assert_not_null(strstr(got, "\"malformed\":true}\n"), "%s", got);
    cr_assert_null(strstr(got, "\"sport\""), "%s", got);
    assert_valid_line(got);
    free(got);
    frame_free(&pool, f);
}

/* ---- relative sequence numbers ---- */

static struct frame *seg(uint64_t id, bool from_a, uint32_t seq, uint32_t ack, uint8_t flags,
                         uint32_t plen)
{
    return fx_tcp(&pool, id,
                  &(struct tcp_spec){.src = from_a ? IP_A : IP_B,
                                     .dst = from_a ? IP_B : IP_A,
                                     .sport = from_a ? 49152 : 80,
                                     .dport = from_a ? 80 : 49152,
                                     .seq = seq,
                                     .ack = ack,
                                     .flags = flags,
                                     .win = 1000,
                                     .plen = plen});
}

Test(jsonl, handshake_sequence_numbers_relative)
{
    struct frame *f[4] = {
        seg(1, true, ISN_A, 0, 0x02, 0),
        seg(2, false, ISN_B, ISN_A + 1, 0x12, 0),
        seg(3, true, ISN_A + 1, ISN_B + 1, 0x10, 0),
        seg(4, true, ISN_A + 1, ISN_B + 1, 0x18, 100),
    };
    struct trace_event ev[4];
    for (int i = 0; i < 4; i++)
        ev[i] = (struct trace_event){.t = i, .kind = TRACE_TX, .frame = f[i]};
    char *text = emit_all(ev, 4, NULL);
    char line[1024];
    cr_assert_not_null(strstr(nth_line(text, 0, line, sizeof line), "\"seq\":0,\"plen\":0"));
    cr_assert_not_null(
        strstr(nth_line(text, 1, line, sizeof line), "\"flags\":\"SYN,ACK\",\"seq\":0,\"ack\":1,"));
    cr_assert_not_null(
        strstr(nth_line(text, 2, line, sizeof line), "\"flags\":\"ACK\",\"seq\":1,\"ack\":1,"));
    cr_assert_not_null(strstr(nth_line(text, 3, line, sizeof line),
                              "\"flags\":\"PSH,ACK\",\"seq\":1,\"ack\":1,\"plen\":100,"));
    free(text);
    for (int i = 0; i < 4; i++)
        frame_free(&pool, f[i]);
}

Test(jsonl, ack_absent_without_ack_flag)
{
    struct frame *f = seg(1, true, ISN_A, 12345, 0x02, 0);
    char *got = emit_all(&(struct trace_event){.kind = TRACE_TX, .frame = f}, 1, NULL);
    cr_assert_null(strstr(got, "\"ack\""), "%s", got);
    free(got);
    frame_free(&pool, f);
}

Test(jsonl, sack_blocks_relative_to_reverse_direction)
{
    /* B acknowledges A's byte 1 and SACKs A's bytes 1001..2001 and 3001..4001. */
    static const uint8_t opts[20] = {1, 1, 5, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    uint8_t o[20];
    memcpy(o, opts, sizeof o);
    put32(o + 4, ISN_A + 1001);
    put32(o + 8, ISN_A + 2001);
    put32(o + 12, ISN_A + 3001);
    put32(o + 16, ISN_A + 4001);
    struct frame *syn = seg(1, true, ISN_A, 0, 0x02, 0);
    struct frame *synack = seg(2, false, ISN_B, ISN_A + 1, 0x12, 0);
    struct frame *dupack = fx_tcp(&pool, 3,
                                  &(struct tcp_spec){.src = IP_B,
                                                     .dst = IP_A,
                                                     .sport = 80,
                                                     .dport = 49152,
                                                     .seq = ISN_B + 1,
                                                     .ack = ISN_A + 1,
                                                     .flags = 0x10,
                                                     .win = 1000,
                                                     .opts = o,
                                                     .optlen = sizeof o});
    struct trace_event ev[3] = {{.kind = TRACE_TX, .frame = syn},
                                {.kind = TRACE_TX, .frame = synack},
                                {.kind = TRACE_TX, .frame = dupack}};
    char *text = emit_all(ev, 3, NULL);
    char line[1024];
    cr_assert_not_null(strstr(nth_line(text, 2, line, sizeof line),
                              "\"win\":1000,\"sack\":[[1001,2001],[3001,4001]]}"),
                       "%s", line);
    free(text);
    frame_free(&pool, syn);
    frame_free(&pool, synack);
    frame_free(&pool, dupack);
}

/* ---- the other kinds ---- */

Test(jsonl, state_exact_line)
{
    expect_line(&(struct trace_event){.t = 20000000,
                                      .kind = TRACE_STATE,
                                      .host = "client",
                                      .conn = "c1",
                                      .from = "SYN_SENT",
                                      .to = "ESTABLISHED",
                                      .cause = "rx SYN,ACK"},
                "{\"t\":20000000,\"ev\":\"state\",\"host\":\"client\",\"conn\":\"c1\","
                "\"from\":\"SYN_SENT\",\"to\":\"ESTABLISHED\",\"cause\":\"rx SYN,ACK\"}\n");
}

Test(jsonl, app_deliver_has_intact)
{
    expect_line(&(struct trace_event){.t = 9,
                                      .kind = TRACE_APP,
                                      .host = "b",
                                      .app = "srv",
                                      .conn = "srv#1",
                                      .what = "deliver",
                                      .bytes = 100,
                                      .total = 300,
                                      .intact = true},
                "{\"t\":9,\"ev\":\"app\",\"host\":\"b\",\"app\":\"srv\",\"conn\":\"srv#1\","
                "\"what\":\"deliver\",\"bytes\":100,\"total\":300,\"intact\":true}\n");
}

Test(jsonl, app_reply_has_rtt_and_detail_no_intact)
{
    expect_line(&(struct trace_event){.t = 9,
                                      .kind = TRACE_APP,
                                      .host = "a",
                                      .app = "p",
                                      .what = "reply",
                                      .bytes = 56,
                                      .total = 1,
                                      .detail = "from 10.0.0.2",
                                      .rtt = 2000000},
                "{\"t\":9,\"ev\":\"app\",\"host\":\"a\",\"app\":\"p\",\"what\":\"reply\","
                "\"bytes\":56,\"total\":1,\"detail\":\"from 10.0.0.2\",\"rtt\":2000000}\n");
}

Test(jsonl, timer_exact_line)
{
    expect_line(&(struct trace_event){.t = 1,
                                      .kind = TRACE_TIMER,
                                      .host = "a",
                                      .conn = "c1",
                                      .timer = "rto",
                                      .backoff = 2,
                                      .rto = 4000000000},
                "{\"t\":1,\"ev\":\"timer\",\"host\":\"a\",\"conn\":\"c1\",\"timer\":\"rto\","
                "\"backoff\":2,\"rto\":4000000000}\n");
}

Test(jsonl, cc_exact_line)
{
    expect_line(&(struct trace_event){.t = 1,
                                      .kind = TRACE_CC,
                                      .host = "a",
                                      .conn = "c1",
                                      .cwnd = 14600,
                                      .ssthresh = 7300,
                                      .srtt = 20000000,
                                      .rttvar = 5000000,
                                      .rto = 200000000},
                "{\"t\":1,\"ev\":\"cc\",\"host\":\"a\",\"conn\":\"c1\",\"cwnd\":14600,"
                "\"ssthresh\":7300,\"srtt\":20000000,\"rttvar\":5000000,\"rto\":200000000}\n");
}

Test(jsonl, retx_exact_line)
{
    expect_line(&(struct trace_event){.t = 1,
                                      .kind = TRACE_RETX,
                                      .host = "a",
                                      .conn = "c1",
                                      .seq = 1461,
                                      .len = 1460,
                                      .cause = "fast"},
                "{\"t\":1,\"ev\":\"retx\",\"host\":\"a\",\"conn\":\"c1\",\"seq\":1461,"
                "\"len\":1460,\"cause\":\"fast\"}\n");
}

Test(jsonl, link_exact_line)
{
    expect_line(
        &(struct trace_event){
            .t = 50000000, .kind = TRACE_LINK, .link = "wire", .what = "set", .detail = "loss=0.1"},
        "{\"t\":50000000,\"ev\":\"link\",\"link\":\"wire\",\"what\":\"set\","
        "\"detail\":\"loss=0.1\"}\n");
}

Test(jsonl, expect_exact_line)
{
    expect_line(
        &(struct trace_event){
            .t = 3, .kind = TRACE_EXPECT, .index = 2, .ok = false, .message = "state was SYN_SENT"},
        "{\"t\":3,\"ev\":\"expect\",\"index\":2,\"ok\":false,"
        "\"message\":\"state was SYN_SENT\"}\n");
}

Test(jsonl, null_strings_omitted)
{
    expect_line(&(struct trace_event){.t = 7, .kind = TRACE_STATE, .to = "LISTEN"},
                "{\"t\":7,\"ev\":\"state\",\"to\":\"LISTEN\"}\n");
}

Test(jsonl, every_kind_starts_with_t_and_its_name)
{
    struct frame *f = fx_syn(&pool, 1);
    for (int k = 0; k < TRACE_KIND_COUNT; k++) {
        struct trace_event e = {.t = 42,
                                .kind = (enum trace_kind)k,
                                .host = "h",
                                .frame = f,
                                .conn = "c",
                                .what = "x",
                                .message = "m"};
        char *got = emit_all(&e, 1, NULL);
        cJSON *o = cJSON_Parse(got);
        cr_assert_not_null(o, "%s", got);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(o, "t")->valueint, 42);
        cr_assert_str_eq(o->child->next->valuestring, trace_kind_name((enum trace_kind)k));
        cr_assert_str_eq(o->child->next->next->string, "host");
        cJSON_Delete(o);
        free(got);
    }
    frame_free(&pool, f);
}

/* ---- escaping ---- */

Test(jsonl, strings_escaped)
{
    expect_line(
        &(struct trace_event){
            .t = 0, .kind = TRACE_LINK, .link = "a\"b\\c", .detail = "tab\there\nnl\x01\x1f end"},
        "{\"t\":0,\"ev\":\"link\",\"link\":\"a\\\"b\\\\c\","
        "\"detail\":\"tab\\there\\nnl\\u0001\\u001f end\"}\n");
}

Test(jsonl, utf8_passes_through_and_round_trips)
{
    const char *detail = "서버 \xe2\x86\x92 café \"q\" \\ \r\b\f";
    char *got = emit_all(&(struct trace_event){.kind = TRACE_LINK, .detail = detail}, 1, NULL);
    cr_assert_not_null(strstr(got, "서버 \xe2\x86\x92 café"));
    cJSON *o = cJSON_Parse(got);
    cr_assert_not_null(o, "%s", got);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "detail")->valuestring, detail);
    cJSON_Delete(o);
    free(got);
}

Test(jsonl, long_detail_not_truncated)
{
    size_t n = 20000;
    char *detail = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        detail[i] = i % 100 == 99 ? '"' : (char)('a' + i % 26);
    detail[n] = '\0';
    char *got = emit_all(
        &(struct trace_event){.kind = TRACE_APP, .what = "result", .detail = detail}, 1, NULL);
    cr_assert_eq(strchr(got, '\n'), got + strlen(got) - 1, "exactly one line");
    cJSON *o = cJSON_Parse(got);
    cr_assert_not_null(o);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "detail")->valuestring, detail);
    cJSON_Delete(o);
    free(got);
    free(detail);
}

/* ---- jsonl_format ---- */

Test(jsonl, format_matches_sink_output)
{
    struct trace_event e = {
        .t = 11, .kind = TRACE_RETX, .host = "a", .conn = "c", .seq = 1, .len = 2, .cause = "rto"};
    char *written = emit_all(&e, 1, NULL);
    struct jsonl_sink *j = jsonl_sink_create(NULL, false);
    char buf[512];
    size_t n = jsonl_format(j, &e, buf, sizeof buf);
    cr_assert_eq(n, strlen(written));
    cr_assert_str_eq(buf, written);
    jsonl_sink_destroy(j);
    free(written);
}

Test(jsonl, format_truncates_at_capacity)
{
    struct jsonl_sink *j = jsonl_sink_create(NULL, false);
    char buf[16];
    memset(buf, '#', sizeof buf);
    size_t n = jsonl_format(
        j, &(struct trace_event){.t = 123456789, .kind = TRACE_STATE, .host = "a-long-host-name"},
        buf, sizeof buf);
    cr_assert_eq(n, sizeof buf - 1);
    cr_assert_eq(buf[15], '\0');
    cr_assert_eq(strncmp(buf, "{\"t\":123456789,", 15), 0);
    jsonl_sink_destroy(j);
}

/* ---- digest ---- */

static void sha256_hex(const char *data, size_t n, char out[72])
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, n, (const uint8_t *)data);
    sha256_digest(&c, sizeof d, d);
    strcpy(out, "sha256:");
    for (size_t i = 0; i < sizeof d; i++)
        sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

static size_t sample_events(struct trace_event *ev, struct frame **f)
{
    *f = fx_syn(&pool, 1);
    ev[0] = (struct trace_event){.t = 1, .kind = TRACE_TX, .host = "a", .frame = *f};
    ev[1] = (struct trace_event){.t = 2, .kind = TRACE_RX, .host = "b", .frame = *f};
    ev[2] = (struct trace_event){.t = 3,
                                 .kind = TRACE_STATE,
                                 .host = "b",
                                 .conn = "s#1",
                                 .from = "LISTEN",
                                 .to = "SYN_RCVD"};
    ev[3] = (struct trace_event){.t = 4, .kind = TRACE_EXPECT, .index = 0, .ok = true};
    return 4;
}

Test(jsonl, digest_is_sha256_of_written_bytes)
{
    struct trace_event ev[4];
    struct frame *f;
    size_t n = sample_events(ev, &f);
    char digest[72], want[72];
    char *text = emit_all(ev, n, digest);
    sha256_hex(text, strlen(text), want);
    cr_assert_str_eq(digest, want);
    cr_assert_eq(strlen(digest), 7 + 64);
    free(text);
    frame_free(&pool, f);
}

Test(jsonl, digest_only_mode_matches_file_mode)
{
    struct trace_event ev[4];
    struct frame *f;
    size_t n = sample_events(ev, &f);
    char with_file[72], without[72];
    free(emit_all(ev, n, with_file));

    struct jsonl_sink *j = jsonl_sink_create(NULL, true);
    for (size_t i = 0; i < n; i++)
        jsonl_sink_base(j)->event(jsonl_sink_base(j), &ev[i]);
    cr_assert(jsonl_sink_finish(j, without));
    jsonl_sink_destroy(j);
    cr_assert_str_eq(without, with_file);
    frame_free(&pool, f);
}

Test(jsonl, digest_differs_when_an_event_differs)
{
    struct trace_event a = {.t = 1, .kind = TRACE_EXPECT, .ok = true};
    struct trace_event b = {.t = 1, .kind = TRACE_EXPECT, .ok = false};
    char da[72], db[72];
    free(emit_all(&a, 1, da));
    free(emit_all(&b, 1, db));
    cr_assert_str_neq(da, db);
}

Test(jsonl, finish_twice_returns_same_digest)
{
    struct jsonl_sink *j = jsonl_sink_create(NULL, true);
    jsonl_sink_base(j)->event(jsonl_sink_base(j), &(struct trace_event){.kind = TRACE_LINK});
    char d1[72], d2[72];
    cr_assert(jsonl_sink_finish(j, d1));
    cr_assert(jsonl_sink_finish(j, d2));
    cr_assert_str_eq(d1, d2);
    jsonl_sink_destroy(j);
}

/* ---- errors ---- */

Test(jsonl, write_error_reported_by_finish)
{
    FILE *full = fopen("/dev/full", "w");
    cr_assert_not_null(full);
    struct jsonl_sink *j = jsonl_sink_create(full, true);
    for (int i = 0; i < 100; i++)
        jsonl_sink_base(j)->event(jsonl_sink_base(j),
                                  &(struct trace_event){.t = i, .kind = TRACE_LINK, .link = "l"});
    char d[72];
    cr_assert_not(jsonl_sink_finish(j, d));
    jsonl_sink_destroy(j);
    fclose(full);
}
