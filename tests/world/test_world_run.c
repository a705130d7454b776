/* Building and running worlds: state sequences, determinism, the digest and
 * the expect events emitted after the run. */
#include <nettle/sha2.h>

#include "world_fixture.h"

static void assert_history(const struct world *w, const char *conn, const enum tcp_state *want,
                           uint32_t n)
{
    enum tcp_state got[32];
    uint32_t len = world_conn_history(w, conn, got, 32);
    cr_assert_neq(len, UINT32_MAX, "%s never appeared", conn);
    cr_assert_eq(len, n, "%s: %u states, expected %u", conn, len, n);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "%s state %u: %s, expected %s", conn, i,
                     tcp_state_name(got[i]), tcp_state_name(want[i]));
}

Test(world, handshake_and_close_follow_rfc9293_on_the_server)
{
    struct fx f = fx_run(FX_APPS, "", "");
    static const enum tcp_state want[] = {TCP_LISTEN,     TCP_SYN_RCVD, TCP_ESTABLISHED,
                                          TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSED};
    assert_history(f.w, "srv#1", want, 6);
    fx_free(&f);
}

Test(world, handshake_and_close_follow_rfc9293_on_the_client)
{
    struct fx f = fx_run(FX_APPS, "", "");
    enum tcp_state got[32];
    uint32_t n = world_conn_history(f.w, "c1", got, 32);
    /* FIN_WAIT_2 is skipped when the peer's FIN rides on the ACK of ours. */
    static const enum tcp_state full[] = {TCP_CLOSED,     TCP_SYN_SENT,   TCP_ESTABLISHED,
                                          TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_TIME_WAIT,
                                          TCP_CLOSED};
    static const enum tcp_state short_[] = {TCP_CLOSED,     TCP_SYN_SENT,  TCP_ESTABLISHED,
                                            TCP_FIN_WAIT_1, TCP_TIME_WAIT, TCP_CLOSED};
    if (n == 7)
        assert_history(f.w, "c1", full, 7);
    else
        assert_history(f.w, "c1", short_, 6);
    fx_free(&f);
}

/* A server's id may have 63 characters (the schema's limit): its connections
 * are named after the whole id, so expectations can name them. */
#define LONG_ID "a-server-whose-id-is-as-long-as-the-schema-allows-sixty-three-c"
Test(world, connections_of_an_app_with_the_longest_id_keep_its_whole_name)
{
    cr_assert_eq(strlen(LONG_ID), 63);
    const char *apps =
        "{\"id\":\"" LONG_ID "\",\"host\":\"server\",\"type\":\"tcp_server\",\"port\":80,"
        "\"mode\":\"sink\"}," FX_CLIENT;
    struct fx f = fx_run(apps, "", "{\"conn\":\"" LONG_ID "#1\",\"outcome\":\"established\"}");
    cr_assert_eq(f.w->n_verdicts, 1);
    cr_expect_eq(f.w->n_failed, 0, "%s", world_first_failure(f.w) ? world_first_failure(f.w) : "");
    static const enum tcp_state want[] = {TCP_LISTEN,     TCP_SYN_RCVD, TCP_ESTABLISHED,
                                          TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSED};
    assert_history(f.w, LONG_ID "#1", want, 6);
    fx_free(&f);
}

Test(world, a_scenario_without_expectations_passes)
{
    struct fx f = fx_run(FX_APPS, "", "");
    cr_assert_eq(f.w->n_verdicts, 0);
    cr_assert_eq(f.w->n_failed, 0);
    cr_assert_null(world_first_failure(f.w));
    fx_free(&f);
}

Test(world, the_same_seed_gives_the_same_digest)
{
    const char *lossy = "\"loss\":0.1";
    const char *apps = FX_SERVER ",{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\","
                                 "\"connect\":\"server:80\",\"at\":\"0ms\",\"send\":50000,"
                                 "\"close\":\"after_send\"}";
    struct fx a = fx_run_seed(lossy, apps, "", "", 7);
    struct fx b = fx_run_seed(lossy, apps, "", "", 7);
    cr_assert_str_eq(a.w->digest, b.w->digest);
    cr_assert_eq(strncmp(a.w->digest, "sha256:", 7), 0);
    fx_free(&a);
    fx_free(&b);
}

static void count_slices(void *ctx, sim_time now, sim_time end, uint64_t events)
{
    (void)now;
    (void)end;
    (void)events;
    (*(int *)ctx)++;
}

/* world_run goes in a thousand slices (for the progress line and the frame
 * limit); what happens must be what one uninterrupted sim_run gives. */
Test(world, running_in_slices_gives_what_one_run_gives)
{
    const char *lossy = "\"loss\":0.1";
    const char *apps = FX_SERVER ",{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\","
                                 "\"connect\":\"server:80\",\"at\":\"0ms\",\"send\":50000,"
                                 "\"close\":\"after_send\"}";
    char *text = fx_text(lossy, apps, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    char digest[2][72];
    uint64_t events[2];
    for (int sliced = 0; sliced < 2; sliced++) {
        struct world *w = world_build(sc, 7, NULL, 0);
        cr_assert_not_null(w);
        struct jsonl_sink *j = jsonl_sink_create(NULL, true);
        trace_bus_add_sink(&w->sim.bus, jsonl_sink_base(j));
        int slices = 0;
        if (sliced) {
            world_set_progress(w, count_slices, &slices);
            cr_assert_eq(world_run(w, -1), WORLD_OK, "world_run: %s", w->error);
            cr_expect_geq(slices, 1000);
        } else {
            cr_assert_eq(sim_run(&w->sim, sc->duration), SIM_DONE);
        }
        cr_assert(jsonl_sink_finish(j, digest[sliced]));
        events[sliced] = w->sim.events_executed;
        trace_bus_remove_sink(&w->sim.bus, jsonl_sink_base(j));
        jsonl_sink_destroy(j);
        world_destroy(w);
    }
    cr_expect_str_eq(digest[1], digest[0]);
    cr_expect_eq(events[1], events[0]);
    scenario_free(sc);
}

/* A world that needs more frames alive than the limit stops with a clear
 * error instead of running on with frames refused. */
Test(world, the_frame_limit_stops_a_run_with_a_message)
{
    const char *apps = FX_SERVER ",{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\","
                                 "\"connect\":\"server:80\",\"at\":\"0ms\",\"send\":500000,"
                                 "\"close\":\"after_send\"}";
    char *text = fx_text(NULL, apps, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, sc->seed, NULL, 0);
    cr_assert_not_null(w);
    world_set_frame_limit(w, 8);
    cr_expect_eq(world_run(w, -1), WORLD_RESOURCE);
    cr_expect(strstr(w->error, "more than 8 frames alive at once"), "%s", w->error);
    cr_expect_lt(w->sim.now, sc->duration, "the run went on to the end");
    world_destroy(w);
    scenario_free(sc);
}

/* Frames the pool had no memory for stop the run as a resource error (exit
 * 3), not as a run whose segments silently went missing. */
Test(world, frames_without_memory_stop_a_run_with_a_message)
{
    char *text = fx_text(NULL, FX_APPS, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, sc->seed, NULL, 0);
    cr_assert_not_null(w);
    w->sim.frames.oom = true; /* as frame_alloc marks it when malloc fails */
    cr_expect_eq(world_run(w, -1), WORLD_RESOURCE);
    cr_expect(strstr(w->error, "out of memory for frames"), "%s", w->error);
    cr_expect_lt(w->sim.now, sc->duration, "the run went on to the end");
    world_destroy(w);
    scenario_free(sc);
}

Test(world, another_seed_on_a_lossy_link_gives_another_digest)
{
    const char *lossy = "\"loss\":0.1";
    const char *apps = FX_SERVER ",{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\","
                                 "\"connect\":\"server:80\",\"at\":\"0ms\",\"send\":50000,"
                                 "\"close\":\"after_send\"}";
    struct fx a = fx_run_seed(lossy, apps, "", "", 7);
    struct fx b = fx_run_seed(lossy, apps, "", "", 8);
    cr_assert_str_neq(a.w->digest, b.w->digest);
    fx_free(&a);
    fx_free(&b);
}

Test(world, expectations_do_not_change_the_digest)
{
    struct fx plain = fx_run(FX_APPS, "", "");
    struct fx judged = fx_run(FX_APPS, "",
                              "{\"app\":\"srv\",\"received\":1000},"
                              "{\"conn\":\"c1\",\"at\":\"1s\",\"cwnd\":{\"min\":1}},"
                              "{\"conn\":\"c1\",\"retransmits\":0}");
    cr_assert_eq(judged.w->n_verdicts, 3);
    cr_assert_str_eq(plain.w->digest, judged.w->digest);
    fx_free(&plain);
    fx_free(&judged);
}

/* Collects the expect events emitted on the bus. */
struct expect_sink {
    struct trace_sink base;
    int n;
    int index[8];
    bool ok[8];
    sim_time t[8];
};

static void expect_event(struct trace_sink *s, const struct trace_event *e)
{
    struct expect_sink *x = (struct expect_sink *)s;
    if (x->n < 8) {
        x->index[x->n] = e->index;
        x->ok[x->n] = e->ok;
        x->t[x->n] = e->t;
    }
    x->n++;
}

Test(world, verdicts_are_emitted_as_expect_events_after_the_run)
{
    char *text = fx_text(NULL, FX_APPS, "",
                         "{\"app\":\"srv\",\"received\":1000},{\"app\":\"srv\",\"received\":5}");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, 1, NULL, 0);
    cr_assert_not_null(w);
    struct expect_sink x = {.base = {.event = expect_event, .mask = TRACE_MASK(TRACE_EXPECT)}};
    trace_bus_add_sink(&w->sim.bus, &x.base);
    cr_assert_eq(world_run(w, -1), WORLD_OK);
    cr_assert_eq(x.n, 0, "no verdict before judging");
    cr_assert_eq(world_judge(w), 1);
    cr_assert_eq(x.n, 2);
    cr_assert_eq(x.index[0], 0);
    cr_assert(x.ok[0]);
    cr_assert_eq(x.index[1], 1);
    cr_assert_not(x.ok[1]);
    cr_assert_eq(x.t[1], sc->duration);
    world_destroy(w);
    scenario_free(sc);
}

Test(world, the_trace_file_ends_with_the_verdicts_outside_the_digest)
{
    char *text = fx_text(NULL, FX_APPS, "", "{\"app\":\"srv\",\"received\":1000}");
    struct scenario *sc = fx_load(text);
    free(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    struct world *w = world_build(sc, 1, NULL, 0);
    cr_assert(world_attach_jsonl(w, mem));
    cr_assert_eq(world_run(w, -1), WORLD_OK);
    world_judge(w);
    fclose(mem);
    const char *last = buf + len - 1;
    while (last > buf && last[-1] != '\n')
        last--;
    cr_assert(strstr(last, "\"ev\":\"expect\""), "last line: %s", last);
    cr_assert(strstr(last, "expect[0]: app srv received 1000 B"), "last line: %s", last);
    /* The digest is that of every line but the verdict. */
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[72] = "sha256:";
    sha256_init(&c);
    sha256_update(&c, (size_t)(last - buf), (const uint8_t *)buf);
    sha256_digest(&c, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 7 + 2 * i, 3, "%02x", d[i]);
    cr_assert_str_eq(w->digest, hex);
    free(buf);
    world_destroy(w);
    scenario_free(sc);
}

Test(world, the_event_limit_stops_a_run)
{
    char *text = fx_text(NULL, FX_APPS, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, 1, NULL, 0);
    world_set_event_limit(w, 5);
    cr_assert_eq(world_run(w, -1), WORLD_EVENT_LIMIT);
    cr_assert(strstr(w->error, "event limit"), "%s", w->error);
    world_destroy(w);
    scenario_free(sc);
}

Test(world, the_report_names_connections_apps_and_verdicts)
{
    struct fx f = fx_run(FX_APPS, "", "{\"app\":\"srv\",\"received\":1000}");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    world_report(f.w, mem);
    fclose(mem);
    cr_assert(strstr(buf, "SYN_SENT -> ESTABLISHED"), "%s", buf);
    cr_assert(strstr(buf, "srv#1"), "%s", buf);
    cr_assert(strstr(buf, "expect[0]"), "%s", buf);
    cr_assert(strstr(buf, "PASS"), "%s", buf);
    free(buf);
    fx_free(&f);
}

/* ---- SPEC §2: one random stream per object ---- */

struct loss_log {
    struct trace_sink sink;
    sim_time t[4096];
    uint32_t len[4096];
    uint32_t n;
};

static void log_wire_loss(struct trace_sink *s, const struct trace_event *e)
{
    struct loss_log *l = (struct loss_log *)s;
    if (e->reason && strcmp(e->reason, "loss") == 0 && e->link && strcmp(e->link, "wire") == 0 &&
        l->n < 4096) {
        l->t[l->n] = e->t;
        l->len[l->n++] = e->frame ? e->frame->len : 0;
    }
}

static void run_logging_wire_losses(const char *text, struct loss_log *log)
{
    struct scenario *sc = fx_load(text);
    struct world *w = world_build(sc, sc->seed, NULL, 0);
    cr_assert_not_null(w);
    log->sink = (struct trace_sink){.event = log_wire_loss, .mask = TRACE_MASK(TRACE_DROP)};
    trace_bus_add_sink(&w->sim.bus, &log->sink);
    cr_assert_eq(world_run(w, -1), WORLD_OK, "world_run: %s", w->error);
    world_destroy(w);
    scenario_free(sc);
}

Test(world, an_unrelated_host_does_not_change_another_links_losses)
{
    static const char base[] =
        "{\"name\":\"t\",\"seed\":3,\"duration\":\"30s\","
        "\"hosts\":[{\"name\":\"client\"},{\"name\":\"server\"}%s],"
        "\"links\":[{\"name\":\"wire\",\"a\":\"client\",\"b\":\"server\",\"delay\":\"10ms\","
        "\"rate\":\"10Mbps\",\"loss\":0.05}%s],"
        "\"apps\":[" FX_SERVER ",{\"id\":\"c1\",\"host\":\"client\",\"type\":\"tcp_client\","
        "\"connect\":\"server:80\",\"at\":\"0ms\",\"send\":200000,\"close\":\"after_send\"}%s]}";
    char alone[2048], crowded[2048];
    snprintf(alone, sizeof alone, base, "", "", "");
    snprintf(crowded, sizeof crowded, base, ",{\"name\":\"other\"}",
             ",{\"name\":\"side\",\"a\":\"other\",\"b\":\"server\",\"delay\":\"3ms\","
             "\"loss\":0.3}",
             ",{\"id\":\"u\",\"host\":\"other\",\"type\":\"udp_sender\",\"to\":\"server:9\","
             "\"at\":\"0ms\",\"count\":500,\"size\":100,\"interval\":\"7ms\"}");
    static struct loss_log a, b;
    run_logging_wire_losses(alone, &a);
    run_logging_wire_losses(crowded, &b);
    cr_assert_gt(a.n, 5, "the lossy link lost too little to compare");
    cr_assert_eq(a.n, b.n, "%u losses alone, %u with another host", a.n, b.n);
    for (uint32_t i = 0; i < a.n; i++) {
        cr_expect_eq(a.t[i], b.t[i], "loss %u at %lld vs %lld", i, (long long)a.t[i],
                     (long long)b.t[i]);
        cr_expect_eq(a.len[i], b.len[i]);
    }
}

struct listen_log {
    struct trace_sink sink;
    int listens;
};

static void log_listen(struct trace_sink *s, const struct trace_event *e)
{
    if (e->to && strcmp(e->to, "LISTEN") == 0 && e->conn && strcmp(e->conn, "srv") == 0)
        ((struct listen_log *)s)->listens++;
}

/* A sink attached after building sees everything from t=0, the listener's
 * CLOSED -> LISTEN included. */
Test(world, a_sink_attached_after_building_sees_the_listener_open)
{
    char *text = fx_text(NULL, FX_APPS, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, sc->seed, NULL, 0);
    cr_assert_not_null(w);
    struct listen_log log = {.sink = {.event = log_listen, .mask = TRACE_MASK(TRACE_STATE)}};
    trace_bus_add_sink(&w->sim.bus, &log.sink);
    cr_assert_eq(world_run(w, -1), WORLD_OK, "world_run: %s", w->error);
    cr_expect_eq(log.listens, 1);
    world_destroy(w);
    scenario_free(sc);
}

/* The views see the run as it went: stopped early, it ends there. */
Test(world, the_views_end_where_the_run_stopped)
{
    char *text = fx_text(NULL, FX_APPS, "", "");
    struct scenario *sc = fx_load(text);
    free(text);
    struct world *w = world_build(sc, sc->seed, NULL, 0);
    cr_assert_not_null(w);
    cr_assert_eq(world_run(w, 2 * SIM_SEC), WORLD_OK, "world_run: %s", w->error);
    cr_expect_eq(w->desc.duration, 2 * SIM_SEC);
    world_destroy(w);
    scenario_free(sc);
}

/* Enough connections to grow the observer's tables several times: each is
 * still found by its name with its whole history and its host. */
Test(world, every_connection_of_many_is_found_with_its_history)
{
    enum { N = 60 };
    char apps[N * 160 + 200];
    size_t len = (size_t)snprintf(apps, sizeof apps, "%s", FX_SERVER);
    for (int k = 0; k < N; k++)
        len += (size_t)snprintf(apps + len, sizeof apps - len,
                                ",{\"id\":\"c%d\",\"host\":\"client\",\"type\":\"tcp_client\","
                                "\"connect\":\"server:80\",\"at\":\"%dms\",\"send\":100,"
                                "\"close\":\"after_send\"}",
                                k, k);
    struct fx f = fx_run(apps, "", "");
    static const enum tcp_state server[] = {TCP_LISTEN,     TCP_SYN_RCVD, TCP_ESTABLISHED,
                                            TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSED};
    for (int k = 0; k < N; k++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", k);
        enum tcp_state got[32];
        uint32_t n = world_conn_history(f.w, name, got, 32);
        cr_assert(n == 6 || n == 7, "%s: %u states", name, n);
        cr_assert_eq(got[0], TCP_CLOSED);
        cr_assert_eq(got[n - 1], TCP_CLOSED);
        snprintf(name, sizeof name, "srv#%d", k + 1);
        assert_history(f.w, name, server, 6);
    }
    cr_assert_eq(world_conn_history(f.w, "c60", NULL, 0), UINT32_MAX);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    world_report(f.w, out);
    fclose(out);
    cr_assert(strstr(text, "  c0 (client)\n"), "the host follows the name");
    cr_assert(strstr(text, "  srv#1 (server)\n"));
    free(text);
    fx_free(&f);
}
