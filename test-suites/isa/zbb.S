# Zbb basic bit manipulation (bitmanip spec 2.2): logic with negate,
# count leading/trailing zeros and population count (with W forms and the
# all-zero inputs), min/max signed and unsigned, sign/zero extension,
# rotates (with W forms) and orc.b / rev8.
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, andn, 0xf000, 0xff00, 0x0ff0
  TEST_RR 2, orn, 0xffffffffffffff0f, 0x0f, 0xf0
  TEST_RR 3, xnor, 0xfffffffffffff00f, 0xff00, 0xf0f0
  TEST_R 4, clz, 64, 0
  TEST_R 5, clz, 0, -1
  TEST_R 6, clz, 31, 0x100000000
  TEST_R 7, clzw, 32, 0xffffffff00000000
  TEST_R 8, clzw, 0, 0x80000000
  TEST_R 9, clzw, 27, 0x10
  TEST_R 10, ctz, 64, 0
  TEST_R 11, ctz, 63, 0x8000000000000000
  TEST_R 12, ctzw, 32, 0xffffffff00000000
  TEST_R 13, ctzw, 4, 0x10
  TEST_R 14, cpop, 64, -1
  TEST_R 15, cpop, 0, 0
  TEST_R 16, cpop, 3, 0x8000000100000001
  TEST_R 17, cpopw, 1, 0x8000000100000001
  TEST_R 18, cpopw, 32, 0x00000000ffffffff
  TEST_RR 20, max, 5, -3, 5
  TEST_RR 21, max, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RR 22, maxu, -3, -3, 5
  TEST_RR 23, min, -3, -3, 5
  TEST_RR 24, minu, 5, -3, 5
  TEST_RR 25, minu, 0, 0, -1
  TEST_R 30, sext.b, 0xffffffffffffff80, 0x1280
  TEST_R 31, sext.b, 0x7f, 0xffff7f
  TEST_R 32, sext.h, 0xffffffffffff8000, 0x18000
  TEST_R 33, sext.h, 0x7fff, 0xffff7fff
  TEST_R 34, zext.h, 0x8000, 0xffffffffffff8000
  TEST_RR 40, rol, 0x0000000000000003, 0x8000000000000001, 1
  TEST_RR 41, rol, 0x8000000000000001, 0x8000000000000001, 64   # amount mod 64
  TEST_RR 42, ror, 0xc000000000000000, 0x8000000000000001, 1
  TEST_RI 43, rori, 0x2345678900000001, 0x0000000123456789, 32
  TEST_RI 44, rori, 0x8000000000000001, 0xc000000000000000, 63
  TEST_RR 45, rolw, 0x0000000000000003, 0xffffffff80000001, 1    # then sign-extend
  TEST_RR 46, rolw, 0xffffffff80000000, 0x40000000, 33           # amount mod 32
  TEST_RR 47, rorw, 0xffffffffc0000000, 0x0000000080000001, 1
  TEST_RI 48, roriw, 0x0000000078123456, 0x0000000081234567, 4
  TEST_RI 49, roriw, 0xffffffff80000000, 1, 1
  TEST_R 50, orc.b, 0xff00ff0000ffff00, 0x0100800000017f00
  TEST_R 51, orc.b, 0, 0
  TEST_R 52, rev8, 0x0807060504030201, 0x0102030405060708
RVX_TEST_END
