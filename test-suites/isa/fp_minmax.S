# fmin/fmax (unprivileged spec 11.6, IEEE 754-2019 minimumNumber /
# maximumNumber): -0 < +0, a single NaN operand yields the other operand,
# two NaNs yield the canonical NaN, and only a signaling NaN raises NV.
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  FP2N 1, s, fmin.s, 0x80000000, 0x80000000, 0x00000000, 0
  FP2N 2, s, fmin.s, 0x80000000, 0x00000000, 0x80000000, 0
  FP2N 3, s, fmax.s, 0x00000000, 0x80000000, 0x00000000, 0
  FP2N 4, s, fmax.s, 0x00000000, 0x00000000, 0x80000000, 0
  FP2N 5, s, fmin.s, 0x3f800000, 0x7fc00000, 0x3f800000, 0      # qNaN: other
  FP2N 6, s, fmax.s, 0x3f800000, 0x3f800000, 0xffc00000, 0
  FP2N 7, s, fmin.s, 0x3f800000, 0x7f800001, 0x3f800000, NV     # sNaN: other, NV
  FP2N 8, s, fmax.s, 0x3f800000, 0x3f800000, 0x7fa00000, NV
  FP2N 9, s, fmin.s, 0x7fc00000, 0x7fc12345, 0xffc00001, 0      # both NaN
  FP2N 10, s, fmax.s, 0x7fc00000, 0x7f800001, 0x7fc00000, NV
  FP2N 11, s, fmax.s, 0xff800000, 0xff800000, 0x7fc00000, 0     # -inf vs NaN
  FP2N 12, s, fmin.s, 0xc0000000, 0xc0000000, 0x3f800000, 0
  FP2N 13, s, fmax.s, 0x7f800000, 0x7f800000, 0x7f7fffff, 0
  FP2N 20, d, fmin.d, 0x8000000000000000, 0x0000000000000000, 0x8000000000000000, 0
  FP2N 21, d, fmax.d, 0x0000000000000000, 0x8000000000000000, 0x0000000000000000, 0
  FP2N 22, d, fmin.d, 0x3ff0000000000000, 0x7ff8000000000000, 0x3ff0000000000000, 0
  FP2N 23, d, fmax.d, 0xbff0000000000000, 0x7ff0000000000001, 0xbff0000000000000, NV
  FP2N 24, d, fmin.d, 0x7ff8000000000000, 0xfff8000000000001, 0x7ff8000000000002, 0
  FP2N 25, d, fmax.d, 0x4000000000000000, 0x3ff0000000000000, 0x4000000000000000, 0
RVX_TEST_END
