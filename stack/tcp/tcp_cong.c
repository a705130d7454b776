/* Congestion-avoidance growth and the multiplicative decrease for the two
 * algorithms a host can choose: NewReno (RFC 5681) and CUBIC (RFC 9438),
 * in integer arithmetic (C = 0.4, beta = 0.7, like Linux). */
#include "tcp_priv.h"

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Integer cube root (floor). */
static uint64_t icbrt(uint64_t x)
{
    uint64_t lo = 0, hi = 2097152; /* 2^21: (2^21)^3 = 2^63 */
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- NewReno (RFC 5681, RFC 6582) ---- */

static void newreno_init(struct tcp_sock *s)
{
    s->x->acked_bytes = 0;
}

static uint32_t newreno_ssthresh(struct tcp_sock *s)
{
    return max_u32(tcp_flight(s) / 2, 2u * s->mss); /* RFC 5681 eq. (4) */
}

static uint32_t newreno_cong_avoid(struct tcp_sock *s, uint32_t acked, sim_time now)
{
    (void)now;
    s->x->acked_bytes += acked; /* RFC 5681 eq. (3), byte counting */
    if (s->x->acked_bytes >= s->cwnd) {
        s->x->acked_bytes -= s->cwnd;
        return s->cwnd + s->mss;
    }
    return s->cwnd;
}

const struct tcp_cc_ops tcp_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .ssthresh = newreno_ssthresh,
    .cong_avoid = newreno_cong_avoid,
};

/* ---- CUBIC (RFC 9438) ---- */

static void cubic_init(struct tcp_sock *s)
{
    s->x->acked_bytes = 0;
    s->x->cubic_epoch = -1;
}

static uint32_t cubic_ssthresh(struct tcp_sock *s)
{
    /* RFC 9438 §4.6-4.7: W_max with fast convergence; cwnd * beta. */
    uint32_t w = s->cwnd;
    if (w < s->x->cubic_wmax)
        s->x->cubic_wmax = (uint32_t)((uint64_t)w * 17 / 20); /* w * (1 + beta) / 2 */
    else
        s->x->cubic_wmax = w;
    s->x->cubic_epoch = -1;
    return max_u32((uint32_t)((uint64_t)w * 7 / 10), 2u * s->mss);
}

/* RFC 9438 §4.2: W_cubic(t) = C (t - K)^3 + W_max, t measured from the start
 * of the avoidance epoch (plus one RTT, the target a round ahead). */
static uint32_t cubic_target(struct tcp_sock *s, sim_time now)
{
    uint32_t mss = s->mss;
    if (s->x->cubic_epoch < 0) {
        s->x->cubic_epoch = now;
        s->x->cubic_west = s->cwnd;
        if (s->cwnd < s->x->cubic_wmax) {
            /* K = cbrt((W_max - cwnd) / C), in ms: cbrt(segs * 2.5 * 10^9) */
            uint64_t segs = (s->x->cubic_wmax - s->cwnd) / mss;
            s->x->cubic_k_ms = icbrt(segs * 2500000000ull);
            s->x->cubic_origin = s->x->cubic_wmax;
        } else {
            s->x->cubic_k_ms = 0;
            s->x->cubic_origin = s->cwnd;
        }
    }
    int64_t t_ms = (now - s->x->cubic_epoch + s->srtt) / SIM_MS - (int64_t)s->x->cubic_k_ms;
    if (t_ms > 100000)
        t_ms = 100000; /* keeps the cube in range; cwnd is bounded long before */
    int64_t delta_segs = 4 * t_ms * t_ms * t_ms / 10000000000ll; /* 0.4 * t^3, t in s */
    int64_t target = (int64_t)s->x->cubic_origin + delta_segs * (int64_t)mss;
    if (target < (int64_t)mss)
        target = mss;
    return target > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)target;
}

/* Returns the new cwnd after `acked` bytes in congestion avoidance. */
static uint32_t cubic_grow(struct tcp_sock *s, uint32_t acked, sim_time now)
{
    uint32_t target = cubic_target(s, now);
    uint32_t cwnd = s->cwnd;
    /* Reno-friendly region (§4.3): alpha = 3(1-beta)/(1+beta) ~ 9/17 */
    s->x->cubic_west += (uint32_t)((uint64_t)acked * s->mss * 9 / (17ull * cwnd));
    uint64_t per_seg = target > cwnd ? (uint64_t)cwnd * s->mss / (target - cwnd) : 100ull * cwnd;
    if (per_seg < s->mss)
        per_seg = s->mss; /* at most one segment per segment acked (slow-start pace) */
    s->x->acked_bytes += acked;
    if (s->x->acked_bytes >= per_seg) {
        s->x->acked_bytes -= (uint32_t)per_seg;
        cwnd += s->mss;
    }
    return s->x->cubic_west > cwnd ? s->x->cubic_west : cwnd;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .ssthresh = cubic_ssthresh,
    .cong_avoid = cubic_grow,
};

const struct tcp_cc_ops *tcp_cc_of(enum tcp_cc_algo algo)
{
    return algo == TCP_CC_CUBIC ? &tcp_cc_cubic : &tcp_cc_newreno;
}
