# F and D arithmetic (unprivileged spec 11-12): add, sub, mul, div, sqrt,
# the four fused multiply-adds (one rounding), sign injection, moves,
# compares (quiet feq vs signaling flt/fle), loads and stores of both
# widths, with the exceptions flags each raises.
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  FP2 1, s, fadd.s, rne, 0x40400000, 0x3f800000, 0x40000000, 0        # 1+2=3
  FP2 2, s, fsub.s, rne, 0xbf800000, 0x3f800000, 0x40000000, 0        # 1-2=-1
  FP2 3, s, fmul.s, rne, 0x40c00000, 0x40000000, 0x40400000, 0        # 2*3=6
  FP2 4, s, fdiv.s, rne, 0x3eaaaaab, 0x3f800000, 0x40400000, NX       # 1/3
  FP1 5, s, fsqrt.s, rne, 0x40000000, 0x40800000, 0                   # sqrt 4
  FP1 6, s, fsqrt.s, rne, 0x3fb504f3, 0x40000000, NX                  # sqrt 2
  FP2 7, s, fadd.s, rne, 0x00000000, 0x3f800000, 0xbf800000, 0        # 1-1=+0
  FP2 8, s, fadd.s, rdn, 0x80000000, 0x3f800000, 0xbf800000, 0        # RDN: -0
  FP3 9, s, fmadd.s, rne, 0x40e00000, 0x40000000, 0x40400000, 0x3f800000, 0  # 2*3+1
  FP3 10, s, fmsub.s, rne, 0x40a00000, 0x40000000, 0x40400000, 0x3f800000, 0 # 2*3-1
  FP3 11, s, fnmsub.s, rne, 0xc0a00000, 0x40000000, 0x40400000, 0x3f800000, 0 # -(2*3)+1
  FP3 12, s, fnmadd.s, rne, 0xc0e00000, 0x40000000, 0x40400000, 0x3f800000, 0 # -(2*3)-1
  # fused: (1+2^-23)*(1-2^-23) - 1 = -2^-46 exactly (unfused would give 0)
  FP3 13, s, fmsub.s, rne, 0xa8800000, 0x3f800001, 0x3f7ffffe, 0x3f800000, 0
  FP2N 14, s, fsgnj.s, 0xbf800000, 0x3f800000, 0x80000000, 0
  FP2N 15, s, fsgnjn.s, 0x3f800000, 0x3f800000, 0x80000000, 0
  FP2N 16, s, fsgnjx.s, 0x3f800000, 0xbf800000, 0x80000000, 0
  FP2N 17, s, fsgnj.s, 0x7fc00001, 0xffc00001, 0x00000000, 0          # NaN payload kept, no NV
  FPCMP 20, s, feq.s, 1, 0x3f800000, 0x3f800000, 0
  FPCMP 21, s, feq.s, 1, 0x00000000, 0x80000000, 0                    # +0 == -0
  FPCMP 22, s, feq.s, 0, 0x7fc00000, 0x7fc00000, 0                    # qNaN: quiet
  FPCMP 23, s, feq.s, 0, 0x7f800001, 0x3f800000, NV                   # sNaN: NV
  FPCMP 24, s, flt.s, 1, 0xbf800000, 0x3f800000, 0
  FPCMP 25, s, flt.s, 0, 0x7fc00000, 0x3f800000, NV                   # signaling
  FPCMP 26, s, fle.s, 1, 0x80000000, 0x00000000, 0
  FPCMP 27, s, fle.s, 0, 0x3f800000, 0x7fc00000, NV

  FP2 30, d, fadd.d, rne, 0x4008000000000000, 0x3ff0000000000000, 0x4000000000000000, 0
  FP2 31, d, fsub.d, rne, 0xbff0000000000000, 0x3ff0000000000000, 0x4000000000000000, 0
  FP2 32, d, fmul.d, rne, 0x4018000000000000, 0x4000000000000000, 0x4008000000000000, 0
  FP2 33, d, fdiv.d, rne, 0x3fd5555555555555, 0x3ff0000000000000, 0x4008000000000000, NX
  FP1 34, d, fsqrt.d, rne, 0x3ff6a09e667f3bcd, 0x4000000000000000, NX
  FP3 35, d, fmadd.d, rne, 0x401c000000000000, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0
  FP3 36, d, fnmadd.d, rne, 0xc01c000000000000, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0
  FP3 37, d, fmsub.d, rne, 0xb970000000000000, 0x3ff0000000000001, 0x3feffffffffffffe, 0x3ff0000000000000, 0
  FP3 38, d, fnmsub.d, rne, 0xc014000000000000, 0x4000000000000000, 0x4008000000000000, 0x3ff0000000000000, 0
  FP2N 39, d, fsgnjn.d, 0xbff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0
  FP2N 40, d, fsgnjx.d, 0xbff0000000000000, 0xbff0000000000000, 0x3ff0000000000000, 0
  FPCMP 41, d, flt.d, 1, 0xfff0000000000000, 0x0000000000000001, 0    # -inf < tiny
  FPCMP 42, d, feq.d, 0, 0x7ff0000000000001, 0x7ff0000000000001, NV

  CASE 50                       # flw/fsw/fld/fsd move bits unchanged
  la s0, mem
  flw fa0, 0(s0)
  fsw fa0, 8(s0)
  lwu a0, 8(s0)
  CHECK a0, 0x7f800001          # a signaling NaN is not quietened
  fld fa1, 16(s0)
  fsd fa1, 24(s0)
  ld a0, 24(s0)
  CHECK a0, 0xfff0000000000001
  CHECK_FFLAGS 0
  CASE 51                       # fmv.x.w sign-extends, fmv.w.x takes low bits
  li a1, 0x12345678bf800000
  fmv.w.x fa0, a1
  fmv.x.w a0, fa0
  CHECK a0, 0xffffffffbf800000
  CASE 52                       # fmv.x.d / fmv.d.x
  li a1, 0x8000000000000001
  fmv.d.x fa0, a1
  fmv.x.d a0, fa0
  CHECK a0, 0x8000000000000001
RVX_TEST_END

  .data
  .balign 8
mem:
  .word 0x7f800001, 0
  .dword 0
  .dword 0xfff0000000000001
  .dword 0
