# Accrued exception flags (unprivileged spec 11.2): each of NV, DZ, OF, UF,
# NX raised by an operation that should raise it and no other, underflow
# only when the tiny result is inexact, flags accrue until cleared, and
# fflags is readable/writable on its own and through fcsr.
#include "rvx_test.h"
#include "rvx_fp.h"
RVX_TEST_BEGIN
  csrw fflags, zero
  FP2 1, s, fdiv.s, rne, 0x7f800000, 0x3f800000, 0x00000000, DZ       # 1/0 = inf
  FP2 2, s, fdiv.s, rne, 0xff800000, 0xbf800000, 0x00000000, DZ       # -1/0
  FP2 3, s, fdiv.s, rne, 0x7fc00000, 0x00000000, 0x00000000, NV       # 0/0: not DZ
  FP2 4, s, fsub.s, rne, 0x7fc00000, 0x7f800000, 0x7f800000, NV       # inf-inf
  FP2 5, s, fmul.s, rne, 0x7fc00000, 0x00000000, 0x7f800000, NV       # 0*inf
  FP1 6, s, fsqrt.s, rne, 0x7fc00000, 0xbf800000, NV                  # sqrt(-1)
  FP1 7, s, fsqrt.s, rne, 0x80000000, 0x80000000, 0                   # sqrt(-0) = -0
  FP2 8, s, fadd.s, rne, 0x7fc00000, 0x7f800001, 0x3f800000, NV       # sNaN operand
  FP2 9, s, fadd.s, rne, 0x7fc00000, 0x7fc00000, 0x3f800000, 0        # qNaN: no flag
  FP2 10, s, fmul.s, rne, 0x7f800000, 0x7f000000, 0x7f000000, OF | NX # overflow
  FP2 11, s, fmul.s, rne, 0x00400000, 0x00800000, 0x3f000000, 0       # exact tiny: no UF
  FP2 12, s, fmul.s, rne, 0x00400000, 0x00800001, 0x3f000000, UF | NX # inexact tiny
  FP2 13, s, fmul.s, rne, 0x00000000, 0x00000001, 0x3f000000, UF | NX # to zero
  FP2 14, s, fdiv.s, rne, 0x3eaaaaab, 0x3f800000, 0x40400000, NX      # 1/3
  FP2 15, s, fadd.s, rne, 0x40400000, 0x3f800000, 0x40000000, 0       # exact
  FP3 16, s, fmadd.s, rne, 0x7fc00000, 0x00000000, 0x7f800000, 0x7fc00000, NV # 0*inf+qNaN
  FP2 17, d, fdiv.d, rne, 0x7ff0000000000000, 0x3ff0000000000000, 0, DZ
  FP2 18, d, fmul.d, rne, 0x0000000000000000, 0x0000000000000001, 0x3fe0000000000000, UF | NX
  FP2 19, d, fmul.d, rne, 0x7ff0000000000000, 0x7fe0000000000000, 0x4000000000000000, OF | NX
  FP1 20, d, fsqrt.d, rne, 0x7ff8000000000000, 0xfff0000000000000, NV

  CASE 30                       # flags accrue
  FSET s, fa1, 0x3f800000
  FSET s, fa2, 0x00000000
  fdiv.s fa0, fa1, fa2          # DZ
  FSET s, fa2, 0x40400000
  fdiv.s fa0, fa1, fa2          # NX
  csrr a0, fflags
  CHECK a0, DZ | NX
  CASE 31                       # ... and an exact op does not clear them
  fadd.s fa0, fa1, fa1
  csrr a0, fflags
  CHECK a0, DZ | NX
  CASE 32                       # fflags CSR set/clear, seen in fcsr
  csrsi fflags, OF
  csrci fflags, DZ
  csrr a0, fcsr
  CHECK a0, OF | NX
  CASE 33                       # writing fflags leaves frm alone
  csrwi frm, 3
  csrwi fflags, UF
  csrr a0, fcsr
  CHECK a0, (3 << 5) | UF
  csrw fcsr, zero
  CASE 34                       # fflags writes mask to 5 bits
  li a1, 0xff
  csrw fflags, a1
  csrr a0, fcsr
  CHECK a0, 0x1f
  csrw fcsr, zero
RVX_TEST_END
