#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_hash_name(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; p && *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void rng_seed_raw(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void rng_seed(struct rng *r, uint64_t seed, const char *name)
{
    /* The seed is mixed before the name's hash joins it: a plain XOR of the
     * two would give (seed, name) pairs with equal seed ^ hash one stream. */
    uint64_t x = seed;
    x = splitmix64(&x) ^ rng_hash_name(name);
    rng_seed_raw(r, splitmix64(&x));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x > limit);
    return x % n;
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)rng_next(r);
    return (int64_t)((uint64_t)lo + rng_below(r, span + 1));
}

rng_prob rng_prob_from(double p)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return RNG_PROB_ONE;
    return (rng_prob)llround(p * (double)RNG_PROB_ONE);
}

bool rng_hit(struct rng *r, rng_prob thr)
{
    if (thr == 0)
        return false;
    return (rng_next(r) >> 11) < thr;
}
