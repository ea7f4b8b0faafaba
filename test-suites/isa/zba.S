# Zba address generation: add.uw, shNadd, shNadd.uw, slli.uw (bitmanip
# spec 2.1): .uw forms zero-extend the low 32 bits of rs1.
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, add.uw, 0x100000000, 0xffffffff00000001, 0xffffffff
  TEST_RR 2, add.uw, 0x80000005, 0x80000000, 5
  TEST_RR 3, sh1add, 0x2003, 0x1000, 3
  TEST_RR 4, sh1add, 1, 0x8000000000000000, 1        # shifted-out bit lost
  TEST_RR 5, sh2add, 0x4003, 0x1000, 3
  TEST_RR 6, sh3add, 0x8003, 0x1000, 3
  TEST_RR 7, sh3add, 0xfffffffffffffff9, -1, 1
  TEST_RR 8, sh1add.uw, 0x1fffffffe, 0xffffffffffffffff, 0
  TEST_RR 9, sh2add.uw, 0x100000010, 0x1234567840000000, 0x10
  TEST_RR 10, sh3add.uw, 0x7fffffff9, 0xffffffff, 1
  TEST_RI 11, slli.uw, 0xffffffff00, 0x12345678ffffffff, 8
  TEST_RI 12, slli.uw, 0x8000000000000000, 0xffffffff80000001, 63
  TEST_RI 13, slli.uw, 0x80000000, 0xffffffff80000000, 0
  CASE 14                       # zext.w is add.uw rd, rs, zero
  li a1, -2
  zext.w a0, a1
  CHECK a0, 0xfffffffe
RVX_TEST_END
