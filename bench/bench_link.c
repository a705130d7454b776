/* Link benchmark: 10 M minimum-size frames through one direction of a
 * 10 Gbit/s link with a 1 us delay, no tracing.  A sender keeps the queue
 * fed from the receiver's callback (each arrival sends the next frame), so
 * the pool recycles buffers and steady state allocates nothing.
 * Prints frames per second. */
#include <stdio.h>
#include <string.h>

#include "bench_clock.h"
#include "sim/link.h"
#include "sim/sim.h"

#define FRAMES   10000000ull
#define IN_FLIGHT 64

struct bench_end {
    struct port port;
    struct sim *sim;
    struct bench_end *peer;
    uint64_t received, sent;
};

static void send_one(struct bench_end *from)
{
    struct frame *f = frame_alloc(&from->sim->frames, 64);
    if (!f)
        return;
    memset(f->data, 0, 64);
    f->data[12] = 0x88; /* a local experimental ethertype: not IPv4, so never corrupted */
    f->data[13] = 0xb5;
    f->id = sim_next_frame_id(from->sim);
    from->sent++;
    port_send(&from->port, f);
}

static void on_rx(struct port *p, struct frame *f, sim_time now)
{
    (void)now;
    struct bench_end *to = p->owner;
    struct bench_end *from = to->peer;
    to->received++;
    frame_free(&to->sim->frames, f);
    if (from->sent < FRAMES)
        send_one(from);
}

int main(void)
{
    struct sim s;
    sim_init(&s, 1);
    struct bench_end ends[2];
    memset(ends, 0, sizeof ends);
    for (int i = 0; i < 2; i++) {
        ends[i].sim = &s;
        ends[i].peer = &ends[1 - i];
        ends[i].port.owner = &ends[i];
        ends[i].port.rx = on_rx;
        ends[i].port.host = i ? "b" : "a";
        ends[i].port.ifname = "eth0";
    }
    struct link_params p;
    link_params_default(&p);
    p.delay = SIM_US;
    p.rate_bps = 10000000000ull;
    struct link *l = link_create(&s, "wire", &ends[0].port, &ends[1].port, &p);
    if (!l)
        return 3;
    for (int i = 0; i < IN_FLIGHT; i++)
        send_one(&ends[0]);
    double t0 = bench_seconds();
    sim_run(&s, SIM_TIME_NEVER);
    double dt = bench_seconds() - t0;
    printf("link      frames %10llu  events %10llu  %7.3f s  %6.1f M frames/s  %6.1f M events/s\n",
           (unsigned long long)ends[1].received, (unsigned long long)s.events_executed, dt,
           (double)ends[1].received / dt / 1e6, (double)s.events_executed / dt / 1e6);
    link_destroy(l);
    sim_destroy(&s);
    return ends[1].received == FRAMES ? 0 : 1;
}
