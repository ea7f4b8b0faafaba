/* intmix: integer arithmetic. Hash mixing over a table (64- and 32-bit mul/shift/rotate/xor),
 * a bitwise CRC-32, and division/remainder chains: the RV64IM ALU paths with few memory
 * accesses and predictable branches. */
#ifndef SCALE
#define SCALE 4000
#endif
#include "rt.h"

#define N 2048

static uint64_t table[N];

/* splitmix64 finaliser: 64-bit multiplies and shifts. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* murmur3 fmix32: the W-form (32-bit) instructions. */
static uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t crc32_word(uint32_t crc, uint32_t w)
{
    crc ^= w;
    for (int k = 0; k < 32; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    return crc;
}

uint64_t bench_round(void)
{
    uint64_t seed = 0x1234567887654321ull;
    for (int i = 0; i < N; i++)
        table[i] = rt_rand(&seed);

    uint64_t h = 0;
    uint32_t h32 = 0x811c9dc5u;
    for (int i = 0; i < N; i++) {
        uint64_t v = table[i];
        h = rt_rotl(h ^ mix64(v + (uint64_t)i), 27) * 5 + 0x52dce729;
        h32 = mix32(h32 ^ (uint32_t)v) + (uint32_t)(v >> 32);
        table[i] = v ^ h;
    }

    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < N / 8; i++)
        crc = crc32_word(crc, (uint32_t)table[i]);

    /* Division and remainder, signed and unsigned, 64- and 32-bit. */
    uint64_t q = 0;
    for (int i = 0; i < N; i++) {
        uint64_t v = table[i];
        uint64_t d = (v & 0xffff) | 1;
        q += v / d + v % 1000003;
        int64_t s = (int64_t)v >> 3;
        q ^= (uint64_t)(s / -(int64_t)((v >> 20 & 0xfff) | 1));
        q += (uint32_t)v / ((uint32_t)(v >> 40) | 1u);
        q += (uint64_t)(int64_t)((int32_t)v % 7919);
    }
    return rt_mix(rt_mix(rt_mix(h, h32), crc), q);
}

BENCH_DEFINE("intmix", 0x5c0bd3fbe697f169ull);
