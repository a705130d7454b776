/* Initial sequence numbers, RFC 6528 §3: ISN = M + F(localip, localport,
 * remoteip, remoteport, secretkey), M a 4 µs clock.  F here is a keyed
 * splitmix-style mix of the 4-tuple with a per-host secret drawn from the
 * host's PRNG stream (so runs stay deterministic). */
#include "tcp_priv.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t tcp_isn(struct tcp_host *th, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
                 sim_time now)
{
    uint64_t h = mix64(th->isn_secret[0] ^ ((uint64_t)lip << 32 | rip));
    h = mix64(h ^ th->isn_secret[1] ^ ((uint64_t)lport << 16 | rport));
    return (uint32_t)h + (uint32_t)(now / (4 * SIM_US));
}
