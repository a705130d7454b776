/* Deterministic pseudo-random streams: xoshiro256** seeded through splitmix64.
 *
 * Every object that needs randomness (a link direction, a host) owns one stream,
 * derived from the scenario seed and the object's name (SPEC §2), so adding an
 * object never shifts another object's draws.  Decisions are made on integers:
 * a probability is converted once to a 53-bit threshold, so no floating-point
 * rounding can differ between builds. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* A probability in [0,1] as an integer threshold out of 2^53. */
typedef uint64_t rng_prob;
#define RNG_PROB_ONE ((rng_prob)1 << 53)

void rng_seed(struct rng *r, uint64_t seed, const char *name);
void rng_seed_raw(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0.  Unbiased (rejection sampling). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [lo, hi] for signed values; lo <= hi. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* Exact conversion: p * 2^53 is an exact double operation, then rounded. */
rng_prob rng_prob_from(double p);
/* True with probability thr / 2^53.  A zero threshold draws nothing, so a
 * disabled impairment does not consume the stream. */
bool rng_hit(struct rng *r, rng_prob thr);
/* FNV-1a 64 of a string, used to derive stream seeds from names. */
uint64_t rng_hash_name(const char *name);

#endif
