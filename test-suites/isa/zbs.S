# Zbs single-bit instructions (bitmanip spec 2.4): the bit index is
# rs2[5:0] (register forms) or shamt; all bits of the result outside the
# selected one are kept.
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, bclr, 0xfffffffffffffffe, -1, 0
  TEST_RR 2, bclr, 0x7fffffffffffffff, -1, 63
  TEST_RR 3, bclr, 0xfffffffffffffffd, -1, 65        # index mod 64
  TEST_RI 4, bclri, 0xffffffff7fffffff, -1, 31
  TEST_RR 5, bext, 1, 0x8000000000000000, 63
  TEST_RR 6, bext, 0, 0x8000000000000000, 62
  TEST_RR 7, bext, 1, 0x10, 68
  TEST_RI 8, bexti, 1, 0x100000000, 32
  TEST_RI 9, bexti, 0, 0x100000000, 31
  TEST_RR 10, binv, 0x8000000000000001, 1, 63
  TEST_RR 11, binv, 0, 1, 0
  TEST_RI 12, binvi, 0x0000000000000101, 0x1, 8
  TEST_RR 13, bset, 0x8000000000000000, 0, 63
  TEST_RR 14, bset, 1, 1, 0
  TEST_RR 15, bset, 0x10, 0, 0x44
  TEST_RI 16, bseti, 0x80000000, 0, 31
RVX_TEST_END
