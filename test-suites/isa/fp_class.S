# fclass.s / fclass.d (unprivileged spec 11.9): exactly one of the ten
# class bits for each kind of value; no flags raised, even for sNaN.
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  FPXN 1, s, fclass.s, 1 << 0, 0xff800000, 0          # -inf
  FPXN 2, s, fclass.s, 1 << 1, 0xbf800000, 0          # negative normal
  FPXN 3, s, fclass.s, 1 << 2, 0x807fffff, 0          # negative subnormal
  FPXN 4, s, fclass.s, 1 << 3, 0x80000000, 0          # -0
  FPXN 5, s, fclass.s, 1 << 4, 0x00000000, 0          # +0
  FPXN 6, s, fclass.s, 1 << 5, 0x00000001, 0          # positive subnormal
  FPXN 7, s, fclass.s, 1 << 6, 0x7f7fffff, 0          # positive normal
  FPXN 8, s, fclass.s, 1 << 7, 0x7f800000, 0          # +inf
  FPXN 9, s, fclass.s, 1 << 8, 0x7f800001, 0          # signaling NaN
  FPXN 10, s, fclass.s, 1 << 9, 0x7fc00000, 0         # quiet NaN
  FPXN 11, s, fclass.s, 1 << 8, 0xffbfffff, 0         # negative sNaN
  FPXN 12, s, fclass.s, 1 << 9, 0xffc00001, 0         # negative qNaN
  FPXN 20, d, fclass.d, 1 << 0, 0xfff0000000000000, 0
  FPXN 21, d, fclass.d, 1 << 1, 0x8010000000000000, 0
  FPXN 22, d, fclass.d, 1 << 2, 0x800fffffffffffff, 0
  FPXN 23, d, fclass.d, 1 << 3, 0x8000000000000000, 0
  FPXN 24, d, fclass.d, 1 << 4, 0x0000000000000000, 0
  FPXN 25, d, fclass.d, 1 << 5, 0x0000000000000001, 0
  FPXN 26, d, fclass.d, 1 << 6, 0x3ff0000000000000, 0
  FPXN 27, d, fclass.d, 1 << 7, 0x7ff0000000000000, 0
  FPXN 28, d, fclass.d, 1 << 8, 0x7ff4000000000000, 0
  FPXN 29, d, fclass.d, 1 << 9, 0x7ff8000000000000, 0
RVX_TEST_END
