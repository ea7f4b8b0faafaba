# Rounding modes (unprivileged spec 11.2): the five static modes (rne,
# rtz, rdn, rup, rmm) on ties and on overflow, the same through the dynamic
# mode (dyn) selected by frm, and the fcsr = frm << 5 | fflags layout.
#include "rvx_test.h"
#include "rvx_fp.h"

/* fcvt.w.s of 2.5 and -2.5 and fadd of 1 + 2^-24 (a tie) in mode rm */
.macro ROUND_SET n, rm, pos, neg, sum, nsum
  FPX \n, s, fcvt.w.s, \rm, \pos, 0x40200000, NX
  FPX \n + 1, s, fcvt.w.s, \rm, \neg, 0xc0200000, NX
  FP2 \n + 2, s, fadd.s, \rm, \sum, 0x3f800000, 0x33800000, NX
  FP2 \n + 3, s, fadd.s, \rm, \nsum, 0xbf800000, 0xb3800000, NX
.endm

RVX_TEST_BEGIN
  ROUND_SET 1, rne, 2, -2, 0x3f800000, 0xbf800000
  ROUND_SET 5, rtz, 2, -2, 0x3f800000, 0xbf800000
  ROUND_SET 9, rdn, 2, -3, 0x3f800000, 0xbf800001
  ROUND_SET 13, rup, 3, -2, 0x3f800001, 0xbf800000
  ROUND_SET 17, rmm, 3, -3, 0x3f800001, 0xbf800001

  # overflow: the largest finite single times 2
  FP2 21, s, fmul.s, rne, 0x7f800000, 0x7f7fffff, 0x40000000, OF | NX
  FP2 22, s, fmul.s, rtz, 0x7f7fffff, 0x7f7fffff, 0x40000000, OF | NX
  FP2 23, s, fmul.s, rdn, 0x7f7fffff, 0x7f7fffff, 0x40000000, OF | NX
  FP2 24, s, fmul.s, rup, 0x7f800000, 0x7f7fffff, 0x40000000, OF | NX
  FP2 25, s, fmul.s, rdn, 0xff800000, 0xff7fffff, 0x40000000, OF | NX
  FP2 26, s, fmul.s, rup, 0xff7fffff, 0xff7fffff, 0x40000000, OF | NX
  # double ties: 1 + 2^-53
  FP2 27, d, fadd.d, rne, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ca0000000000000, NX
  FP2 28, d, fadd.d, rup, 0x3ff0000000000001, 0x3ff0000000000000, 0x3ca0000000000000, NX
  FP2 29, d, fadd.d, rmm, 0x3ff0000000000001, 0x3ff0000000000000, 0x3ca0000000000000, NX

  # dynamic rounding: frm selects the mode
  csrwi frm, 1                  # rtz
  ROUND_SET 30, dyn, 2, -2, 0x3f800000, 0xbf800000
  csrwi frm, 2                  # rdn
  ROUND_SET 34, dyn, 2, -3, 0x3f800000, 0xbf800001
  csrwi frm, 3                  # rup
  ROUND_SET 38, dyn, 3, -2, 0x3f800001, 0xbf800000
  csrwi frm, 4                  # rmm
  ROUND_SET 42, dyn, 3, -3, 0x3f800001, 0xbf800001
  csrwi frm, 0                  # rne
  ROUND_SET 46, dyn, 2, -2, 0x3f800000, 0xbf800000
  csrwi frm, 3                  # a static mode ignores frm
  FPX 51, s, fcvt.w.s, rdn, -3, 0xc0200000, NX
  csrwi frm, 0

  CASE 52                       # fcsr layout
  li a1, 0xff
  csrw fcsr, a1
  csrr a0, frm
  CHECK a0, 7
  csrr a0, fflags
  CHECK a0, 0x1f
  csrwi frm, 2
  csrr a0, fcsr
  CHECK a0, (2 << 5) | 0x1f
  csrw fcsr, zero
  CASE 53                       # fcsr bits above 7 are zero
  li a1, -1
  csrw fcsr, a1
  csrr a0, fcsr
  CHECK a0, 0xff
  csrw fcsr, zero
RVX_TEST_END
