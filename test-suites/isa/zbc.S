# Zbc carry-less multiplication (bitmanip spec 2.3): clmul (low 64 bits of
# the 128-bit product), clmulh (high 64 bits), clmulr (bits 126..63).
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, clmul, 5, 3, 3                          # (x+1)^2 = x^2+1
  TEST_RR 2, clmul, 0x5555, 0xff, 0xff
  TEST_RR 3, clmul, 0x5555555555555555, -1, -1
  TEST_RR 4, clmulh, 0x5555555555555555, -1, -1
  TEST_RR 5, clmulr, 0xaaaaaaaaaaaaaaaa, -1, -1
  TEST_RR 6, clmul, 0, 0x8000000000000000, 2
  TEST_RR 7, clmulh, 1, 0x8000000000000000, 2
  TEST_RR 8, clmulr, 2, 0x8000000000000000, 2
  TEST_RR 9, clmulh, 0, 0x1234, 0x5678
  TEST_RR 10, clmul, 0x5c58160, 0x1234, 0x5678
  TEST_RR 11, clmulr, 0, 1, 1
  TEST_RR 12, clmulr, 0x8000000000000000, 0x8000000000000000, 0x8000000000000000
RVX_TEST_END
