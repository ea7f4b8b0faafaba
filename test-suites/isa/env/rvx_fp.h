/* Floating-point helpers for the rvx ISA tests. `fmt` is s, d or h.
 * Operands and results are given as bit patterns; S and H results are
 * compared on their low 32 / 16 bits (NaN-boxing is checked separately in
 * fp_nanbox.S). Every helper also checks the accrued fflags and clears them.
 * Registers: fa0..fa3, a0..a3, t5. */
#ifndef RVX_FP_H
#define RVX_FP_H

#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

/* freg = bits (boxed correctly by fmv.w.x / fmv.h.x) */
.macro FSET fmt, freg, bits
  li t5, \bits
  .ifc \fmt, s
  fmv.w.x \freg, t5
  .endif
  .ifc \fmt, d
  fmv.d.x \freg, t5
  .endif
  .ifc \fmt, h
  fmv.h.x \freg, t5
  .endif
.endm

/* reg = the fmt-sized low bits of freg, zero-extended */
.macro FGET fmt, reg, freg
  .ifc \fmt, s
  fmv.x.w \reg, \freg
  slli \reg, \reg, 32
  srli \reg, \reg, 32
  .endif
  .ifc \fmt, d
  fmv.x.d \reg, \freg
  .endif
  .ifc \fmt, h
  fmv.x.h \reg, \freg
  slli \reg, \reg, 48
  srli \reg, \reg, 48
  .endif
.endm

/* fa0 = op(fa1, fa2, rm) */
.macro FP2 n, fmt, op, rm, exp, a, b, flags
  CASE \n
  FSET \fmt, fa1, \a
  FSET \fmt, fa2, \b
  \op fa0, fa1, fa2, \rm
  FGET \fmt, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* fa0 = op(fa1, fa2), no rounding mode (fmin, fmax, fsgnj*) */
.macro FP2N n, fmt, op, exp, a, b, flags
  CASE \n
  FSET \fmt, fa1, \a
  FSET \fmt, fa2, \b
  \op fa0, fa1, fa2
  FGET \fmt, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* fa0 = op(fa1, rm) */
.macro FP1 n, fmt, op, rm, exp, a, flags
  CASE \n
  FSET \fmt, fa1, \a
  \op fa0, fa1, \rm
  FGET \fmt, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* fa0 = op(fa1, fa2, fa3, rm) (fused multiply-add family) */
.macro FP3 n, fmt, op, rm, exp, a, b, c, flags
  CASE \n
  FSET \fmt, fa1, \a
  FSET \fmt, fa2, \b
  FSET \fmt, fa3, \c
  \op fa0, fa1, fa2, fa3, \rm
  FGET \fmt, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* a0 = op(fa1, rm): float -> integer (exp is the full 64-bit register) */
.macro FPX n, fmt, op, rm, exp, a, flags
  CASE \n
  FSET \fmt, fa1, \a
  \op a0, fa1, \rm
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* a0 = op(fa1): fclass */
.macro FPXN n, fmt, op, exp, a, flags
  CASE \n
  FSET \fmt, fa1, \a
  \op a0, fa1
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* a0 = op(fa1, fa2): feq / flt / fle */
.macro FPCMP n, fmt, op, exp, a, b, flags
  CASE \n
  FSET \fmt, fa1, \a
  FSET \fmt, fa2, \b
  \op a0, fa1, fa2
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* fa0 = op(x, rm): integer -> float (or between float formats: use
 * FPCV). `dst` is the result format. */
.macro XFP n, dst, op, rm, exp, x, flags
  CASE \n
  li a1, \x
  \op fa0, a1, \rm
  FGET \dst, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

/* fa0 = op(fa1, rm) converting format src -> dst */
.macro FPCV n, dst, src, op, rm, exp, a, flags
  CASE \n
  FSET \src, fa1, \a
  \op fa0, fa1, \rm
  FGET \dst, a0, fa0
  CHECK a0, \exp
  CHECK_FFLAGS \flags
.endm

#endif
