# mstatus.FS and SD (privileged spec 3.1.6.6): with FS = Off every FP
# instruction and FP CSR access is illegal (mtval = the instruction); an
# instruction that writes an f register or fcsr turns FS Clean/Initial into
# Dirty, which sets mstatus.SD (bit 63) and sstatus.SD.
#include "rvx_test.h"

.macro SET_FS value
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, \value
  csrs mstatus, t0
.endm

/* a0 = mstatus.FS, a1 = mstatus.SD */
.macro GET_FS_SD
  csrr a1, mstatus
  li a0, MSTATUS_FS
  and a0, a0, a1
  srli a1, a1, 63
.endm

RVX_TEST_BEGIN
  CASE 1                        # Clean: SD clear
  SET_FS MSTATUS_FS_CLEAN
  GET_FS_SD
  CHECK a0, MSTATUS_FS_CLEAN
  CHECK a1, 0
  CASE 2                        # an FP arithmetic write makes it Dirty
  fadd.d fa0, fa1, fa2
  GET_FS_SD
  CHECK a0, MSTATUS_FS_DIRTY
  CHECK a1, 1
  CASE 3                        # sstatus shows FS and SD too
  csrr a2, sstatus
  srli a0, a2, 63
  CHECK a0, 1
  li t0, MSTATUS_FS
  and a0, a2, t0
  CHECK a0, MSTATUS_FS_DIRTY
  CASE 4                        # an fcsr write makes it Dirty
  SET_FS MSTATUS_FS_CLEAN
  csrwi fflags, 0
  GET_FS_SD
  CHECK a0, MSTATUS_FS_DIRTY
  CASE 5                        # so does a load into an f register
  SET_FS MSTATUS_FS_INITIAL
  la t0, mem
  fld fa3, 0(t0)
  GET_FS_SD
  CHECK a0, MSTATUS_FS_DIRTY
  CHECK a1, 1
  CASE 6                        # and fmv.w.x
  SET_FS MSTATUS_FS_CLEAN
  fmv.w.x fa4, zero
  GET_FS_SD
  CHECK a0, MSTATUS_FS_DIRTY

  SET_FS MSTATUS_FS_OFF
  CASE 10                       # FS = Off: arithmetic is illegal
  EXPECT_MTRAP CAUSE_ILLEGAL, 1f
off_fadd:
  fadd.s fa0, fa1, fa2
  j rvx_fail
1:
  CHECK_MTVAL_INSN off_fadd
  CASE 11                       # loads
  EXPECT_MTRAP CAUSE_ILLEGAL, 2f
  la a1, mem
off_flw:
  flw fa0, 0(a1)
  j rvx_fail
2:
  CHECK_MTVAL_INSN off_flw
  CASE 12                       # moves to integer registers
  EXPECT_MTRAP CAUSE_ILLEGAL, 3f
off_fmv:
  fmv.x.d a0, fa0
  j rvx_fail
3:
  CHECK_MTVAL_INSN off_fmv
  CASE 13                       # the FP CSRs
  EXPECT_MTRAP CAUSE_ILLEGAL, 4f
off_fcsr:
  csrr a0, fcsr
  j rvx_fail
4:
  CHECK_MTVAL_INSN off_fcsr
  CASE 14
  EXPECT_MTRAP CAUSE_ILLEGAL, 5f
off_frm:
  csrwi frm, 1
  j rvx_fail
5:
  CHECK_MTVAL_INSN off_frm
  CASE 15                       # compressed FP loads too (16-bit mtval)
  EXPECT_MTRAP CAUSE_ILLEGAL, 6f
  la s0, mem
  .option push
  .option rvc
off_cfld:
  c.fld fa0, 0(s0)
  .option pop
  j rvx_fail
6:
  CHECK_MTVAL_INSN16 off_cfld
  CASE 16                       # FS = Off: SD clear, FS reads 0
  GET_FS_SD
  CHECK a0, 0
  CHECK a1, 0
  SET_FS MSTATUS_FS_INITIAL
  CASE 17                       # back on, the registers kept their values
  fmv.x.d a0, fa3
  CHECK a0, 0x4000000000000000
RVX_TEST_END

  .data
  .balign 8
mem: .dword 0x4000000000000000
