# M extension: mul/mulh/mulhsu/mulhu/mulw and div/divu/rem/remu with their
# W forms, including the cases the spec defines instead of trapping
# (unprivileged spec 13.2 table 13.1): divide by zero gives all ones /
# the dividend, signed overflow (MIN / -1) gives MIN and remainder 0.
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, mul, 42, 6, 7
  TEST_RR 2, mul, -42, -6, 7
  TEST_RR 3, mul, 0x8000000000000000, 0x4000000000000000, 2   # low 64 bits
  TEST_RR 4, mulh, -1, -1, 1                 # high half of -1
  TEST_RR 5, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_RR 6, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000
  TEST_RR 7, mulhu, 0xfffffffffffffffe, -1, -1
  TEST_RR 8, mulhu, 0, 5, 7
  TEST_RR 9, mulhsu, -1, -1, 1               # signed -1 * unsigned 1
  TEST_RR 10, mulhsu, 0xffffffffffffffff, -1, -1   # -1 * (2^64-1) high = -1
  TEST_RR 11, mulhsu, 0x7ffffffffffffffe, 0x7fffffffffffffff, -1
  TEST_RR 12, mulw, 0xffffffff80000000, 0x40000000, 2
  TEST_RR 13, mulw, 6, 0x1234567800000002, 3      # upper bits ignored
  TEST_RR 14, mulw, -1, 0xffffffff, 1

  TEST_RR 20, div, -3, 7, -2                 # rounds toward zero
  TEST_RR 21, div, 3, -7, -2
  TEST_RR 22, div, -1, 7, 0                  # divide by zero
  TEST_RR 23, div, 0x8000000000000000, 0x8000000000000000, -1  # overflow
  TEST_RR 24, divu, 0x7fffffffffffffff, -1, 2
  TEST_RR 25, divu, -1, 7, 0
  TEST_RR 26, rem, 1, 7, -2                  # sign of the dividend
  TEST_RR 27, rem, -1, -7, 2
  TEST_RR 28, rem, 7, 7, 0                   # remainder by zero = dividend
  TEST_RR 29, rem, 0, 0x8000000000000000, -1
  TEST_RR 30, remu, 1, -1, 2
  TEST_RR 31, remu, -7, -7, 0

  TEST_RR 40, divw, -3, 7, -2
  TEST_RR 41, divw, -1, 7, 0
  TEST_RR 42, divw, 0xffffffff80000000, 0x80000000, -1   # 32-bit overflow
  TEST_RR 43, divw, 2, 0xffffffff00000004, 2             # upper bits ignored
  TEST_RR 44, divuw, 0x7fffffff, 0xffffffff, 2
  TEST_RR 45, divuw, -1, 5, 0                            # all ones, 64 bits
  TEST_RR 46, divuw, 0xffffffff80000000, 0x80000000, 1   # result sign-extended
  TEST_RR 47, remw, -1, -7, 2
  TEST_RR 48, remw, 0, 0x80000000, -1
  TEST_RR 49, remw, 0xffffffff80000000, 0x80000000, 0    # dividend, sign-extended
  TEST_RR 50, remuw, 1, 0xffffffff, 2
  TEST_RR 51, remuw, 0xffffffff80000000, 0x80000000, 0
  TEST_RR 52, remuw, 3, 0x123456700000003, 0x100000005
RVX_TEST_END
