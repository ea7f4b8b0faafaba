# Breakpoint exceptions (cause 3): ebreak and c.ebreak in M, S and U mode,
# with mepc = mtval = the address of the ebreak (privileged spec 3.1.16:
# rvx writes the faulting pc to mtval on breakpoints).
#include "rvx_test.h"

#ifdef RVX_QEMU
/* QEMU 7.2 writes 0 to mtval on ebreak; only mepc can be checked there. */
#define CHECK_BP_TVAL(label)
#else
#define CHECK_BP_TVAL(label) CHECK_MTVAL_LABEL label
#endif
RVX_TEST_BEGIN
  CASE 1
  EXPECT_MTRAP CAUSE_BREAKPOINT, 1f
b_m:
  ebreak
  j rvx_fail
1:
  CHECK_MEPC_LABEL b_m
  CHECK_BP_TVAL(b_m)
  CASE 2                        # c.ebreak
  EXPECT_MTRAP CAUSE_BREAKPOINT, 2f
  .option push
  .option rvc
b_c:
  c.ebreak
  .option pop
  j rvx_fail
2:
  CHECK_MEPC_LABEL b_c
  CHECK_BP_TVAL(b_c)
  CASE 3                        # from S-mode: still cause 3, MPP = S
  EXPECT_MTRAP CAUSE_BREAKPOINT, 3f
  GOTO_MODE PRV_S, b_s
b_s:
  ebreak
  j rvx_fail
3:
  CHECK_MEPC_LABEL b_s
  CHECK_BP_TVAL(b_s)
  GET_MTRAP a0, TR_STATUS
  li a1, MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, MSTATUS_MPP_S
  CASE 4                        # from U-mode
  EXPECT_MTRAP CAUSE_BREAKPOINT, 4f
  GOTO_MODE PRV_U, b_u
b_u:
  ebreak
  j rvx_fail
4:
  CHECK_MEPC_LABEL b_u
  CHECK_BP_TVAL(b_u)
  GET_MTRAP a0, TR_STATUS
  li a1, MSTATUS_MPP
  and a0, a0, a1
  CHECK a0, 0
RVX_TEST_END
