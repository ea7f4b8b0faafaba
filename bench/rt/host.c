/* Host build of a benchmark: one round on the build machine, to compute (or check) the checksum
 * the guest must reach. Built with the same -ffp-contract=off as the guest so the
 * double-precision results round the same way (IEEE 754 basic operations are exact-rounded on
 * both; fused multiply-adds appear only where a benchmark calls fma()). */
#include <stdio.h>
#include <inttypes.h>
#include "rt.h"

int main(void)
{
    uint64_t sum = bench_round();
    printf("%s checksum=0x%016" PRIx64 " expected=0x%016" PRIx64 " %s\n", bench_name, sum,
           bench_expected, sum == bench_expected ? "PASS" : "FAIL");
    return sum == bench_expected ? 0 : 1;
}
