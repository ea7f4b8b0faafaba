# Environment calls: cause 8 from U, 9 from S, 11 from M, with mepc = the
# ecall itself (not the next instruction) and mtval = 0 (privileged spec
# 3.1.15-3.1.16); resuming at mepc + 4 after handling.
#include "rvx_test.h"
RVX_TEST_BEGIN
  CASE 1
  EXPECT_MTRAP CAUSE_ECALL_M, 1f
e_m:
  ecall
  j rvx_fail
1:
  CHECK_MEPC_LABEL e_m
  CHECK_MTVAL 0
  CASE 2
  EXPECT_MTRAP CAUSE_ECALL_S, 2f
  GOTO_MODE PRV_S, e_s
e_s:
  ecall
  j rvx_fail
2:
  CHECK_MEPC_LABEL e_s
  CHECK_MTVAL 0
  CASE 3
  EXPECT_MTRAP CAUSE_ECALL_U, 3f
  GOTO_MODE PRV_U, e_u
e_u:
  ecall
  j rvx_fail
3:
  CHECK_MEPC_LABEL e_u
  CHECK_MTVAL 0
  CASE 4                        # a handler that returns to mepc + 4
  la t0, skip_handler
  csrw mtvec, t0
  li a0, 0
e_skip:
  ecall
  addi a0, a0, 1                # runs after the handler returned
  la t0, rvx_mtrap
  csrw mtvec, t0
  CHECK a0, 0x101
RVX_TEST_END

  .text
  .balign 4
skip_handler:                   # a0 += 0x100; mepc += 4
  addi a0, a0, 0x100
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
