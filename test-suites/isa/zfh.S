# Zfh half precision basics (unprivileged spec 20): arithmetic, fused
# multiply-add, compares, fclass, conversions to/from S, D and integers,
# fmv.x.h sign extension, flh/fsh, NaN-boxing to 64 bits (an operand whose
# upper 48 bits are not all ones reads as the canonical NaN 0x7e00).
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  FP2 1, h, fadd.h, rne, 0x4200, 0x3c00, 0x4000, 0             # 1+2=3
  FP2 2, h, fsub.h, rne, 0xbc00, 0x3c00, 0x4000, 0
  FP2 3, h, fmul.h, rne, 0x7c00, 0x7bff, 0x4000, OF | NX       # overflow
  FP2 4, h, fdiv.h, rne, 0x3555, 0x3c00, 0x4200, NX            # 1/3
  FP1 5, h, fsqrt.h, rne, 0x4000, 0x4400, 0                    # sqrt 4
  FP3 6, h, fmadd.h, rne, 0x4700, 0x4000, 0x4200, 0x3c00, 0    # 2*3+1 = 7
  FP2N 7, h, fmin.h, 0x8000, 0x0000, 0x8000, 0
  FP2N 8, h, fsgnjn.h, 0xbc00, 0x3c00, 0x3c00, 0
  FP2 9, h, fmul.h, rne, 0x0000, 0x0001, 0x3800, UF | NX       # tiny to 0
  FPCMP 10, h, feq.h, 1, 0x3c00, 0x3c00, 0
  FPCMP 11, h, flt.h, 0, 0x7e00, 0x3c00, NV
  FPXN 12, h, fclass.h, 1 << 8, 0x7c01, 0
  FPXN 13, h, fclass.h, 1 << 5, 0x0001, 0
  FPXN 14, h, fclass.h, 1 << 0, 0xfc00, 0
  FPX 15, h, fcvt.w.h, rne, -2, 0xc100, NX                     # -2.5
  FPX 16, h, fcvt.wu.h, rtz, 0, 0xbc00, NV
  FPX 17, h, fcvt.l.h, rtz, 65504, 0x7bff, 0
  FPX 18, h, fcvt.w.h, rtz, 0x7fffffff, 0x7c00, NV
  XFP 19, h, fcvt.h.w, rne, 0x4200, 3, 0
  XFP 20, h, fcvt.h.l, rne, 0x7c00, 100000, OF | NX
  XFP 21, h, fcvt.h.wu, rne, 0x67ff, 2047, 0
  FPCV 22, h, s, fcvt.h.s, rne, 0x3555, 0x3eaaaaab, NX
  FPCV 23, h, s, fcvt.h.s, rne, 0x7c00, 0x47c35000, OF | NX     # 1e5
  FPCV 24, h, s, fcvt.h.s, rne, 0x7e00, 0x7f812345, NV          # sNaN: canonical
  FPCV 25, h, d, fcvt.h.d, rne, 0x3c00, 0x3ff0000000000000, 0
  CASE 26                       # fcvt.s.h / fcvt.d.h are exact
  FSET h, fa1, 0x3555
  fcvt.s.h fa0, fa1
  FGET s, a0, fa0
  CHECK a0, 0x3eaaa000
  fcvt.d.h fa0, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0x3fd5540000000000
  CHECK_FFLAGS 0
  CASE 27                       # fmv.x.h sign-extends
  FSET h, fa1, 0x8001
  fmv.x.h a0, fa1
  CHECK a0, 0xffffffffffff8001
  CASE 28                       # fmv.h.x boxes with 48 ones
  li a1, 0x123456789abc3c00
  fmv.h.x fa0, a1
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffffffff3c00
  CASE 29                       # a value boxed only as a single is not a half
  li a1, 0xffffffff00003c00
  fmv.d.x fa1, a1
  fadd.h fa0, fa1, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffffffff7e00
  CHECK_FFLAGS 0
  CASE 30                       # flh boxes, fsh stores 16 bits
  la s0, mem
  flh fa0, 0(s0)
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffffffffbc00
  fsh fa0, 4(s0)
  lwu a0, 4(s0)
  CHECK a0, 0x1111bc00
RVX_TEST_END

  .data
  .balign 8
mem: .half 0xbc00, 0, 0x2222, 0x1111
