# Illegal-instruction exceptions (cause 2) with mtval = the instruction bits
# (privileged spec 3.1.16; rvx fills mtval on illegal instructions): an
# all-zero halfword, a reserved compressed encoding (zero-extended 16-bit
# mtval), a reserved 32-bit encoding, a reserved rounding mode, xRET and
# sfence.vma/wfi from a mode that may not run them, and the mstatus trap
# bits TSR, TVM and TW. mepc must point at the faulting instruction.
#include "rvx_test.h"

/* The instruction at `label` must raise cause 2 with mtval = its bits. */
.macro ILLEGAL32 n, label
  CHECK_MEPC_LABEL \label
  CHECK_MTVAL_INSN \label
.endm

RVX_TEST_BEGIN
  CASE 1                        # the all-zero 16-bit instruction is illegal
  EXPECT_MTRAP CAUSE_ILLEGAL, 1f
i_zero:
  .half 0
  j rvx_fail
1:
  CHECK_MEPC_LABEL i_zero
  CHECK_MTVAL 0
  CASE 2                        # c.lui x1, 0 (nzimm = 0) is reserved
  EXPECT_MTRAP CAUSE_ILLEGAL, 2f
i_clui:
  .half 0x6081
  j rvx_fail
2:
  CHECK_MEPC_LABEL i_clui
  CHECK_MTVAL_INSN16 i_clui
  CASE 3                        # c.addi4spn with nzuimm = 0 (non-zero rd)
  EXPECT_MTRAP CAUSE_ILLEGAL, 3f
i_caddi4spn:
  .half 0x0004
  j rvx_fail
3:
  CHECK_MTVAL 0x0004
  CASE 4                        # OP with funct7 = 0x7f is reserved
  EXPECT_MTRAP CAUSE_ILLEGAL, 4f
i_op:
  .word 0xfe000033
  j rvx_fail
4:
  ILLEGAL32 4, i_op
  CASE 5                        # custom-0 opcode: nothing implements it
  EXPECT_MTRAP CAUSE_ILLEGAL, 5f
i_custom:
  .word 0x0000000b
  j rvx_fail
5:
  ILLEGAL32 5, i_custom
  CASE 6                        # fadd.s with the reserved static rm = 5
  EXPECT_MTRAP CAUSE_ILLEGAL, 6f
i_rm:
  .word 0x00c5d553               # fadd.s fa0, fa1, fa2 with rm = 5
  j rvx_fail
6:
  ILLEGAL32 6, i_rm
  CASE 7                        # dynamic rm with frm = 7 (invalid)
  csrwi frm, 7
  EXPECT_MTRAP CAUSE_ILLEGAL, 7f
i_dynrm:
  fadd.s fa0, fa1, fa2, dyn
  j rvx_fail
7:
  csrwi frm, 0
  ILLEGAL32 7, i_dynrm

  CASE 10                       # mret in S-mode
  EXPECT_MTRAP CAUSE_ILLEGAL, 10f
  GOTO_MODE PRV_S, i_mret_s
i_mret_s:
  mret
  j rvx_fail
10:
  ILLEGAL32 10, i_mret_s
  CASE 11                       # sret in U-mode
  EXPECT_MTRAP CAUSE_ILLEGAL, 11f
  GOTO_MODE PRV_U, i_sret_u
i_sret_u:
  sret
  j rvx_fail
11:
  ILLEGAL32 11, i_sret_u
  CASE 12                       # sfence.vma in U-mode
  EXPECT_MTRAP CAUSE_ILLEGAL, 12f
  GOTO_MODE PRV_U, i_sfence_u
i_sfence_u:
  sfence.vma
  j rvx_fail
12:
  ILLEGAL32 12, i_sfence_u
  CASE 13                       # sret in S-mode with mstatus.TSR = 1
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  EXPECT_MTRAP CAUSE_ILLEGAL, 13f
  GOTO_MODE PRV_S, i_sret_tsr
i_sret_tsr:
  sret
  j rvx_fail
13:
  li t0, MSTATUS_TSR
  csrc mstatus, t0
  ILLEGAL32 13, i_sret_tsr
  CASE 14                       # satp access in S-mode with mstatus.TVM = 1
  li t0, MSTATUS_TVM
  csrs mstatus, t0
  EXPECT_MTRAP CAUSE_ILLEGAL, 14f
  GOTO_MODE PRV_S, i_satp_tvm
i_satp_tvm:
  csrr a0, satp
  j rvx_fail
14:
  ILLEGAL32 14, i_satp_tvm
  CASE 15                       # sfence.vma in S-mode with TVM = 1
  EXPECT_MTRAP CAUSE_ILLEGAL, 15f
  GOTO_MODE PRV_S, i_sfence_tvm
i_sfence_tvm:
  sfence.vma
  j rvx_fail
15:
  li t0, MSTATUS_TVM
  csrc mstatus, t0
  ILLEGAL32 15, i_sfence_tvm
  CASE 16                       # wfi in S-mode with TW = 1 (no timeout: traps)
  li t0, MSTATUS_TW
  csrs mstatus, t0
  EXPECT_MTRAP CAUSE_ILLEGAL, 16f
  GOTO_MODE PRV_S, i_wfi_tw
i_wfi_tw:
  wfi
  j rvx_fail
16:
  li t0, MSTATUS_TW
  csrc mstatus, t0
  ILLEGAL32 16, i_wfi_tw
  CASE 17                       # the same instructions are fine in S-mode
  GOTO_MODE PRV_S, s_ok         # when TSR/TVM are clear
s_ok:
  csrr a0, satp
  sfence.vma
  RETURN_TO_M CAUSE_ECALL_S, 17f
17:
  GET_MTRAP a0, TR_CAUSE
  CHECK a0, CAUSE_ECALL_S
RVX_TEST_END
