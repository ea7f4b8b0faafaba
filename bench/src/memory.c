/* memory: loads and stores. picolibc's memcpy/memset/memmove at several alignments and sizes,
 * element-wise copies of every width, and strided reads over 4 MiB (a new page every few
 * accesses, so the emulator's TLB and page handling are on the path). */
#ifndef SCALE
#define SCALE 25
#endif
#include <string.h>
#include "rt.h"

#define BIG (4u << 20)   /* strided-read working set */
#define BUF (256u << 10) /* copy buffers */

/* Declared as words so every access width is aligned (RISC-V may trap on misaligned access). */
static uint64_t big_words[BIG / 8];
static uint64_t src_words[BUF / 8];
static uint64_t dst_words[BUF / 8];
#define big ((uint8_t *)big_words)
#define src ((uint8_t *)src_words)
#define dst ((uint8_t *)dst_words)

static uint64_t hash_words(const void *p, unsigned bytes)
{
    const uint64_t *w = p;
    uint64_t h = 0;
    for (unsigned i = 0; i < bytes / 8; i += 7)
        h = rt_mix(h, w[i]);
    return h;
}

uint64_t bench_round(void)
{
    uint64_t seed = 0xfeedfacecafebeefull;
    uint64_t *s64 = (uint64_t *)src;
    for (unsigned i = 0; i < BUF / 8; i++)
        s64[i] = rt_rand(&seed);

    uint64_t h = 0;

    /* Library block moves at word and odd alignments. */
    memset(dst, 0x5a, BUF);
    for (unsigned k = 0; k < 8; k++) {
        unsigned off = k * 13;
        memcpy(dst + off, src + 3 * k, BUF / 2);
        memmove(dst + 64 + k, dst + k, BUF / 4);
        memset(dst + BUF / 2 + k * 1000, (int)k, 3000);
    }
    h = rt_mix(h, hash_words(dst, BUF));

    /* Element-wise copies with a transform, so the compiler cannot turn them into memcpy. */
    {
        uint8_t *d8 = dst;
        const uint8_t *s8 = src;
        for (unsigned i = 0; i < BUF / 4; i++)
            d8[i] = (uint8_t)(s8[i] + 1);
        uint16_t *d16 = (uint16_t *)dst;
        const uint16_t *s16 = (const uint16_t *)src;
        for (unsigned i = 0; i < BUF / 8; i++)
            d16[i] ^= (uint16_t)(s16[i] >> 1);
        uint32_t *d32 = (uint32_t *)dst;
        const uint32_t *s32 = (const uint32_t *)src;
        for (unsigned i = 0; i < BUF / 8; i++)
            d32[i] += s32[BUF / 4 - 1 - i];
        int64_t *d64 = (int64_t *)dst;
        const int64_t *ss64 = (const int64_t *)src;
        for (unsigned i = 0; i < BUF / 16; i++)
            d64[i] = (d64[i] >> 3) - ss64[i];
        h = rt_mix(h, hash_words(dst, BUF));
    }

    /* Signed narrow loads (lb/lh/lw sign extension). */
    {
        const int8_t *b = (const int8_t *)dst;
        const int16_t *hw = (const int16_t *)dst;
        const int32_t *w = (const int32_t *)dst;
        int64_t acc = 0;
        for (unsigned i = 0; i < BUF / 8; i++)
            acc += b[i] * 3 - hw[i] + w[i / 2];
        h = rt_mix(h, (uint64_t)acc);
    }

    /* Strided reads and writes over 4 MiB: page-sized and cache-line-sized strides. */
    {
        uint64_t acc = 0;
        for (unsigned pass = 0; pass < 4; pass++) {
            for (unsigned off = pass * 8; off < BIG; off += 4096 + 64)
                acc += *(uint64_t *)&big[off];
            for (unsigned off = pass * 8; off < BIG; off += 256) {
                *(uint64_t *)&big[off] += acc ^ off;
                acc = rt_rotl(acc, 1);
            }
        }
        h = rt_mix(h, acc);
    }
    /* big[] carries state across rounds; reset it so every round computes the same checksum. */
    memset(big, 0, BIG);
    return h;
}

BENCH_DEFINE("memory", 0x7d5dbc0926a9eac0ull);
