# Conversions (unprivileged spec 11.7, 12.5): float -> integer saturates
# on overflow, infinities and NaN with NV set (table 11.4: NaN -> the
# largest value); 32-bit results, also of the unsigned forms, are
# sign-extended; small negative values round to 0 for unsigned targets
# (NX only); integer -> float rounds (NX) and the W forms read the low 32
# bits; single <-> double.
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  FPX 1, s, fcvt.w.s, rtz, 0x7fffffff, 0x7fc00000, NV                  # NaN
  FPX 2, s, fcvt.w.s, rtz, 0x7fffffff, 0x7f800000, NV                  # +inf
  FPX 3, s, fcvt.w.s, rtz, 0xffffffff80000000, 0xff800000, NV          # -inf
  FPX 4, s, fcvt.w.s, rtz, 0x7fffffff, 0x4f000000, NV                  # 2^31
  FPX 5, s, fcvt.w.s, rtz, 0xffffffff80000000, 0xcf000000, 0           # -2^31 exact
  FPX 6, s, fcvt.w.s, rtz, 0xffffffff80000000, 0xd0000000, NV          # -2^33
  FPX 7, s, fcvt.w.s, rtz, 0, 0xbf000000, NX                           # -0.5
  FPX 8, s, fcvt.w.s, rne, -2, 0xbfc00000, NX                          # -1.5
  FPX 9, s, fcvt.wu.s, rtz, 0, 0xbf800000, NV                          # -1
  FPX 10, s, fcvt.wu.s, rtz, 0, 0xbf000000, NX                         # -0.5
  FPX 11, s, fcvt.wu.s, rtz, 0xffffffffffffffff, 0x7fc00000, NV        # NaN
  FPX 12, s, fcvt.wu.s, rtz, 0xffffffffffffffff, 0x7f800000, NV        # +inf
  FPX 13, s, fcvt.wu.s, rtz, 0xffffffffee6b2800, 0x4f6e6b28, 0         # 4e9, sign-extended
  FPX 14, s, fcvt.l.s, rtz, 0x7fffffffffffffff, 0x7fc00000, NV
  FPX 15, s, fcvt.l.s, rtz, 0x8000000000000000, 0xff800000, NV
  FPX 16, s, fcvt.l.s, rtz, 0x8000000000000000, 0xdf000000, 0          # -2^63 exact
  FPX 17, s, fcvt.lu.s, rtz, 0xffffffffffffffff, 0x5f800000, NV        # 2^64
  FPX 18, s, fcvt.lu.s, rtz, 0, 0xff800000, NV
  FPX 20, d, fcvt.w.d, rtz, 0x7fffffff, 0x4202a05f20000000, NV         # 1e10
  FPX 21, d, fcvt.w.d, rtz, 0x7fffffff, 0x41dfffffffe00000, NX         # 2^31 - 0.5
  FPX 22, d, fcvt.wu.d, rtz, 0xffffffffffffffff, 0x41f0000000000000, NV # 2^32
  FPX 23, d, fcvt.wu.d, rtz, 0xffffffffffffffff, 0x41efffffffe00000, 0  # 2^32-1
  FPX 24, d, fcvt.l.d, rtz, 0x7fffffffffffffff, 0x43e0000000000000, NV # 2^63
  FPX 25, d, fcvt.l.d, rtz, 0x8000000000000000, 0xc3e0000000000000, 0  # -2^63
  FPX 26, d, fcvt.l.d, rtz, 0x7fffffffffffffff, 0x7ff8000000000000, NV # NaN
  FPX 27, d, fcvt.lu.d, rtz, 0, 0xbff0000000000000, NV                 # -1
  FPX 28, d, fcvt.lu.d, rtz, 0xffffffffffffffff, 0x43f0000000000000, NV # 2^64
  FPX 29, d, fcvt.lu.d, rne, 0x8000000000000000, 0x43e0000000000000, 0

  XFP 30, s, fcvt.s.w, rne, 0x4f000000, 0x7fffffff, NX                 # rounds to 2^31
  XFP 31, s, fcvt.s.w, rtz, 0x4effffff, 0x7fffffff, NX
  XFP 32, s, fcvt.s.w, rne, 0x3f800000, 0x100000001, 0                 # low 32 bits
  XFP 33, s, fcvt.s.wu, rne, 0x4f800000, 0xffffffff, NX
  XFP 34, s, fcvt.s.w, rne, 0xbf800000, 0xffffffff, 0
  XFP 35, s, fcvt.s.l, rne, 0xbf800000, -1, 0
  XFP 36, s, fcvt.s.lu, rne, 0x5f800000, -1, NX
  XFP 37, d, fcvt.d.l, rne, 0x4340000000000000, 0x20000000000001, NX   # 2^53+1
  XFP 38, d, fcvt.d.l, rup, 0x4340000000000001, 0x20000000000001, NX
  XFP 39, d, fcvt.d.lu, rne, 0x43f0000000000000, -1, NX
  XFP 40, d, fcvt.d.l, rne, 0xc3e0000000000000, 0x8000000000000000, 0
  CASE 41                       # fcvt.d.w is exact: no rounding mode needed
  li a1, -7
  fcvt.d.w fa0, a1
  fmv.x.d a0, fa0
  CHECK a0, 0xc01c000000000000
  CASE 42                       # fcvt.d.wu reads the low 32 bits unsigned
  li a1, 0x12345678ffffffff
  fcvt.d.wu fa0, a1
  fmv.x.d a0, fa0
  CHECK a0, 0x41efffffffe00000

  FPCV 50, s, d, fcvt.s.d, rne, 0x7f800000, 0x483d6329f1c35ca5, OF | NX  # 1e40
  FPCV 51, s, d, fcvt.s.d, rtz, 0x7f7fffff, 0x483d6329f1c35ca5, OF | NX
  FPCV 52, s, d, fcvt.s.d, rne, 0x3eaaaaab, 0x3fd5555555555555, NX       # 1/3
  FPCV 53, s, d, fcvt.s.d, rne, 0x80000000, 0x8000000000000001, UF | NX  # tiny
  CASE 54                       # fcvt.d.s is exact
  FSET s, fa1, 0x3eaaaaab
  fcvt.d.s fa0, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0x3fd5555560000000
  CHECK_FFLAGS 0
RVX_TEST_END
