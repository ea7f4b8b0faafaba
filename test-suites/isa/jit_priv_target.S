# Execute permission depends on the privilege mode (privileged spec 4.3.1,
# 4.3.2: S-mode may never execute a page with U = 1; U-mode only pages with
# U = 1), so whatever an engine remembers about a jump target (decoded
# blocks, jump caches, indirect-jump tables) must not carry a fetch that was
# allowed in one mode over to another. Each function below is reached
# through jalr, many times in a row (hot), then from the other mode:
#   1     U-mode calls a U page 20 times
#   2     S-mode jalr to that same address: instruction page fault (S may
#         not execute U pages), stval = sepc = the target
#   3     S-mode calls an S page 20 times
#   4     U-mode jalr to that same address: instruction page fault in U
#   5     U-mode calls its U page again: it still runs
# No satp write or sfence.vma happens between the cases; the modes change
# only through traps and xRET.
#include "rvx_test.h"
#include "rvx_vm.h"

#define VA_UC 0x70000           /* l0[0x70] -> u_caller, U */
#define VA_UF 0x71000           /* l0[0x71] -> u_func, U */
#define VA_SF 0x72000           /* l0[0x72] -> s_func (no U) */
#define XU_PTE (PTE_V | PTE_X | PTE_U | PTE_A)
#define X_PTE (PTE_V | PTE_X | PTE_A)

/* From S-mode: call the function at s7 20 times (a1 counts). */
.macro S_CALLS
  li s8, 20
77:
  jalr ra, 0(s7)
  addi s8, s8, -1
  bnez s8, 77b
.endm

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 0x70, u_caller, XU_PTE
  PTE_LEAF_SYM l0, 0x71, u_func, XU_PTE
  PTE_LEAF_SYM l0, 0x72, s_func, X_PTE
  li t0, 1 << CAUSE_FETCH_PAGE
  csrw medeleg, t0
  SATP_SET SATP_SV39, root

  CASE 1                        # U calls its function
  li a1, 0
  li s7, VA_UF
  li s1, VA_UC
  EXPECT_MTRAP CAUSE_ECALL_U, 1f
  GOTO_MODE_REG PRV_U, s1
1:
  CHECK a1, 20

  CASE 2                        # S jumps to the same U page: fault
  GOTO_MODE PRV_S, s2
s2:
  li a1, 0
  li s7, VA_UF
  EXPECT_STRAP CAUSE_FETCH_PAGE, 2f
  jalr ra, 0(s7)
  j rvx_fail
2:
  CHECK_STVAL VA_UF
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_UF
  CHECK a1, 0

  CASE 3                        # S calls its function
  li s7, VA_SF
  S_CALLS
  CHECK a1, 40
  RETURN_TO_M CAUSE_ECALL_S, 3f
3:

  CASE 4                        # U jumps to the same S page: fault
  li a1, 0
  li s7, VA_SF
  li s1, VA_UC
  EXPECT_STRAP CAUSE_FETCH_PAGE, 4f
  GOTO_MODE_REG PRV_U, s1
4:
  CHECK_STVAL VA_SF
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_SF
  GET_STRAP t2, TR_STATUS       # from U
  andi t2, t2, MSTATUS_SPP
  CHECK t2, 0
  CHECK a1, 0
  RETURN_TO_M CAUSE_ECALL_S, 5f
5:

  CASE 5                        # U calls its function again
  li a1, 0
  li s7, VA_UF
  li s1, VA_UC
  EXPECT_MTRAP CAUSE_ECALL_U, 6f
  GOTO_MODE_REG PRV_U, s1
6:
  CHECK a1, 20
  csrw satp, zero
  sfence.vma
  csrw medeleg, zero
RVX_TEST_END

  .text
  .balign 4096
u_caller:                       /* U: call s7 20 times, then ecall */
  li s8, 20
1:
  jalr ra, 0(s7)
  addi s8, s8, -1
  bnez s8, 1b
  ecall
  j u_caller
  .balign 4096
u_func:
  addi a1, a1, 1
  ret
  .balign 4096
s_func:
  addi a1, a1, 2
  ret

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
