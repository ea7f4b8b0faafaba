# NaN-boxing and canonical NaNs (unprivileged spec 12.2, 11.3): single
# results are written with the upper 32 bits set; a single operand that is
# not properly boxed reads as the canonical NaN (arithmetic, fsgnj, compare,
# fclass, conversion); fmv.x.w and fsw take the low bits unchecked; NaN
# results are always the canonical NaN, payloads are not propagated.
#include "rvx_test.h"
#include "rvx_fp.h"

.macro FD freg, bits
  li t5, \bits
  fmv.d.x \freg, t5
.endm

RVX_TEST_BEGIN
  CASE 1                        # S result is boxed
  FD fa1, 0xffffffff3f800000
  fadd.s fa0, fa1, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff40000000
  CASE 2                        # unboxed operand = canonical NaN, no NV
  FD fa1, 0x000000003f800000
  fadd.s fa0, fa1, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff7fc00000
  CHECK_FFLAGS 0
  CASE 3                        # partly boxed is not boxed
  FD fa1, 0xfffffffe3f800000
  FD fa2, 0xffffffff3f800000
  fmul.s fa0, fa2, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff7fc00000
  CASE 4                        # flw boxes
  la s0, mem
  flw fa0, 0(s0)
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff80000001
  CASE 5                        # fsgnj.s with an unboxed rs1
  FD fa1, 0x00000000bf800000
  FD fa2, 0xffffffff00000000
  fsgnj.s fa0, fa1, fa2
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff7fc00000
  CASE 6                        # fsgnj.s with an unboxed rs2: sign of the canonical NaN (+)
  FD fa1, 0xffffffffbf800000
  FD fa2, 0x00000000bf800000
  fsgnj.s fa0, fa1, fa2
  fmv.x.d a0, fa0
  CHECK a0, 0xffffffff3f800000
  CASE 7                        # fmv.x.w takes the low 32 bits as they are
  FD fa1, 0x00000000bf800000
  fmv.x.w a0, fa1
  CHECK a0, 0xffffffffbf800000
  CASE 8                        # fsw stores the low 32 bits as they are
  FD fa1, 0x1234567842280000
  fsw fa1, 8(s0)
  lwu a0, 8(s0)
  CHECK a0, 0x42280000
  CASE 9                        # fclass.s of an unboxed value: quiet NaN
  FD fa1, 0x0000000000000000
  fclass.s a0, fa1
  CHECK a0, 1 << 9
  CASE 10                       # feq.s with an unboxed value: 0, quiet
  FD fa1, 0x000000003f800000
  feq.s a0, fa1, fa1
  CHECK a0, 0
  CHECK_FFLAGS 0
  CASE 11                       # fcvt.d.s of an unboxed value
  fcvt.d.s fa0, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0x7ff8000000000000
  CASE 12                       # fcvt.w.s of an unboxed value: NaN -> max, NV
  fcvt.w.s a0, fa1, rtz
  CHECK a0, 0x7fffffff
  CHECK_FFLAGS NV
  # canonical NaN results, payloads dropped
  FP2 20, s, fadd.s, rne, 0x7fc00000, 0x7fc12345, 0x3f800000, 0
  FP2 21, s, fmul.s, rne, 0x7fc00000, 0xffc00000, 0x3f800000, 0       # sign dropped
  FP2 22, s, fadd.s, rne, 0x7fc00000, 0x7f812345, 0x3f800000, NV      # sNaN quietened
  FP2 23, d, fadd.d, rne, 0x7ff8000000000000, 0x7ff8000000012345, 0x3ff0000000000000, 0
  FP2 24, d, fsub.d, rne, 0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000000000001, 0
  FPCV 25, s, d, fcvt.s.d, rne, 0x7fc00000, 0x7ff8000012345678, 0
  CASE 26
  FSET s, fa1, 0xffc12345
  fcvt.d.s fa0, fa1
  fmv.x.d a0, fa0
  CHECK a0, 0x7ff8000000000000
  CHECK_FFLAGS 0
  FP1 27, s, fsqrt.s, rne, 0x7fc00000, 0x7fc00001, 0
  FP3 28, d, fmadd.d, rne, 0x7ff8000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0xfff0000000000001, NV
RVX_TEST_END

  .data
  .balign 8
mem: .word 0x80000001, 0, 0, 0
