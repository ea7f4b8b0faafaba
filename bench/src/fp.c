/* fp: double-precision kernels. Matrix multiply, a square-root/divide mix with explicit fused
 * multiply-adds, a Mandelbrot escape loop (FP compares driving branches), integer<->FP
 * conversions and some single precision. Built with -ffp-contract=off so every operation
 * rounds as written and the checksum is exact (fma() where a fused operation is wanted). */
#ifndef SCALE
#define SCALE 400
#endif
#include <math.h>
#include <string.h>
#include "rt.h"

#define M 40

static double a[M][M], b[M][M], c[M][M];
static float vs[1024];

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint32_t bits_f(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void matmul(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            double s = 0.0;
            for (int k = 0; k < M; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static uint64_t mandel(int w, int h, int maxit)
{
    uint64_t total = 0;
    for (int py = 0; py < h; py++) {
        double ci = -1.2 + 2.4 * py / h;
        for (int px = 0; px < w; px++) {
            double cr = -2.1 + 2.8 * px / w;
            double zr = 0.0, zi = 0.0;
            int it = 0;
            while (it < maxit && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                it++;
            }
            total += (uint64_t)it;
        }
    }
    return total;
}

uint64_t bench_round(void)
{
    uint64_t seed = 0x5eed5eed5eed5eedull;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            a[i][j] = (double)(int64_t)(rt_rand(&seed) % 2001) / 1000.0 - 1.0;
            b[i][j] = (double)(int32_t)(rt_rand(&seed) >> 40) * 0x1p-20;
        }
    matmul();
    uint64_t h = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            h = rt_mix(h, bits(c[i][j]));

    /* sqrt, divide and fused multiply-add (fsqrt.d, fdiv.d, fmadd.d, fnmsub.d). */
    double acc = 1.0, newton = 0.0;
    for (int i = 1; i <= 3000; i++) {
        double x = (double)i * 0.37 + 1.0;
        double r = sqrt(x);
        acc = fma(acc, 0.999, r / (x + 1.0));
        /* Newton-Raphson refinement of 1/sqrt(x), compared with the exact result. */
        double y = 1.0 / r;
        y = y * fma(-0.5 * x * y, y, 1.5);
        newton += fabs(y * r - 1.0);
        acc -= floor(acc / 7.0) * 1e-9;
    }
    h = rt_mix(h, bits(acc));
    h = rt_mix(h, bits(newton));

    h = rt_mix(h, mandel(48, 32, 200));

    /* Conversions both ways, with the integer result feeding back. */
    int64_t isum = 0;
    for (int i = 0; i < 4000; i++) {
        double d = (double)(i * 7919 % 10007) * 1.000001 - 5000.0;
        isum += (int64_t)d + (int64_t)(uint32_t)(fabs(d) * 3.5) + lround(d * 0.25);
    }
    h = rt_mix(h, (uint64_t)isum);

    /* Single precision (fadd.s, fmul.s, fsqrt.s, fmin.s). */
    for (int i = 0; i < 1024; i++)
        vs[i] = (float)i * 0.125f + 0.5f;
    float fs = 0.0f;
    for (int rep = 0; rep < 4; rep++)
        for (int i = 0; i < 1024; i++) {
            vs[i] = sqrtf(vs[i] * 1.5f + 0.25f);
            fs = fminf(fs + vs[i], 1.0e6f);
        }
    h = rt_mix(h, bits_f(fs));
    return h;
}

BENCH_DEFINE("fp", 0x21738d71e0cdac1dull);
