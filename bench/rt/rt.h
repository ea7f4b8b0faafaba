/* The tiny runtime shared by the rvx benchmarks.
 *
 * A benchmark defines the four symbols below and nothing else; the runtime (rt.c on the
 * emulators, host.c on the build machine) runs bench_round() bench_rounds times, checks every
 * round's checksum against bench_expected, prints one result line and exits.
 *
 * Every round must compute the same value from the same input, so the expected checksum does not
 * depend on SCALE (the round count) and the host build can compute it: build a benchmark with
 * bench/run.sh --host to print the checksum the guest must reach. */
#ifndef RVX_BENCH_RT_H
#define RVX_BENCH_RT_H

#include <stdint.h>

extern const char bench_name[];
extern const uint64_t bench_expected;
extern const unsigned bench_rounds;
uint64_t bench_round(void);

/* Helpers for writing checksums. */
static inline uint64_t rt_rotl(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rt_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* The same xorshift64* generator for all benchmarks (deterministic input data). */
static inline uint64_t rt_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Default round count: a benchmark sets its own default before including rt.h (or -DSCALE=n). */
#ifndef SCALE
#define SCALE 1
#endif
#define BENCH_DEFINE(name, expected)                                                     \
    const char bench_name[] = name;                                                      \
    const uint64_t bench_expected = (expected);                                          \
    const unsigned bench_rounds = (SCALE)

#endif
