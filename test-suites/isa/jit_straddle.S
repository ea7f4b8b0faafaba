# A 4-byte instruction that straddles a page boundary (privileged spec
# 3.1.16 / 4.1.9: for an instruction fetch fault on a system with
# variable-length instructions, xepc is the address of the instruction and
# xtval the virtual address of the part that faulted).
#
# The instruction `addi a0, a0, 0x100` sits at offset 0xffe of page 1 (its
# low half) and 0x000 of page 2 (its high half, which holds the immediate).
# The code around it is a loop: four instructions on page 1 before it, the
# loop tail on page 2 branching back to page 1.
#   1, 2  page 2 unmapped (S-mode): entering the loop or jumping straight to
#         the instruction raises an instruction page fault with
#         sepc = page 1 + 0xffe, stval = page 2; page 1's part ran
#   3     page 2 mapped but not executable: the same fault
#   4, 5  page 2 mapped: the instruction runs once, then 1000 laps
#   6     page 2 unmapped again after the laps: the exact fault again
#   7     page 2 remapped to another physical page whose first half-word
#         differs (addi ..., 0x200): the new immediate is used
#   8     page 2's half of the instruction rewritten by a store (+ fence.i)
#   9-11  the same from U-mode (fault delegated to S): unmapped, mapped,
#         and a second page without the U bit
#   12    M-mode without paging: the instruction crosses physical pages
#include "rvx_test.h"
#include "rvx_vm.h"

  .option norelax               /* constant page offsets for .skip */

#define VA_S1 0x30000           /* l0[0x30] -> spage1 */
#define VA_S2 0x31000           /* l0[0x31] -> spage2 / spage2b / none */
#define VA_U1 0x40000           /* l0[0x40] -> spage1, U */
#define VA_U2 0x41000           /* l0[0x41] -> spage2, U or not */
#define VA_UX 0x42000           /* l0[0x42] -> u_exit, U */
#define ENTRY 0xff0             /* the loop's first instruction in page 1 */
#define INSN  0xffe             /* the straddling instruction */
#define X_PTE (PTE_V | PTE_X | PTE_A)
#define XU_PTE (PTE_V | PTE_X | PTE_U | PTE_A)

/* a0 += 5 + imm, a1 += 7, a2 += 3, a3 += 1 (page 1), s3 += 1 (page 2) per
 * lap, for s2 laps; returns with ret. */
.macro CLEAR
  li a0, 0
  li a1, 0
  li a2, 0
  li a3, 0
  li s3, 0
.endm

/* l0[index] = leaf for physical page1 + offset (clobbers t0..t3). */
.macro MAP_PAGE index, offset, flags
  la t3, spage1
  li t0, \offset
  add t3, t3, t0
  PTE_LEAF l0, \index, t3, \flags
.endm

/* Page 2's part: the high half of the straddling addi, then the loop tail. */
.macro PAGE2 hi, top
  .hword \hi
  addi s3, s3, 1
  addi s2, s2, -1
  bnez s2, \top
  ret
.endm

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  MAP_PAGE 0x30, 0, X_PTE
  MAP_PAGE 0x40, 0, XU_PTE
  PTE_LEAF_SYM l0, 0x42, u_exit, XU_PTE
  li t0, 1 << CAUSE_FETCH_PAGE
  csrw medeleg, t0
  SATP_SET SATP_SV39, root
  GOTO_MODE PRV_S, s_start
s_start:
  li s4, VA_S1 + ENTRY
  li s5, VA_S1 + INSN

  CASE 1                        # page 2 unmapped: fault on its half
  CLEAR
  li s2, 1
  EXPECT_STRAP CAUSE_FETCH_PAGE, 1f
  jalr ra, 0(s4)
  j rvx_fail
1:
  CHECK_STVAL VA_S2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_S1 + INSN
  CHECK a0, 5                   # page 1's instructions before it ran
  CHECK a1, 7
  CHECK a2, 3
  CHECK a3, 1
  CHECK s3, 0

  CASE 2                        # jumping straight to it
  CLEAR
  EXPECT_STRAP CAUSE_FETCH_PAGE, 2f
  jalr ra, 0(s5)
  j rvx_fail
2:
  CHECK_STVAL VA_S2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_S1 + INSN
  CHECK a0, 0

  CASE 3                        # page 2 mapped without X
  MAP_PAGE 0x31, 0x1000, PTE_V | PTE_R | PTE_A
  sfence.vma
  CLEAR
  li s2, 1
  EXPECT_STRAP CAUSE_FETCH_PAGE, 3f
  jalr ra, 0(s4)
  j rvx_fail
3:
  CHECK_STVAL VA_S2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_S1 + INSN
  CHECK a0, 5

  CASE 4                        # page 2 executable: it runs
  MAP_PAGE 0x31, 0x1000, X_PTE
  sfence.vma
  CLEAR
  li s2, 1
  jalr ra, 0(s4)
  CHECK a0, 0x105
  CHECK a3, 1
  CHECK s3, 1

  CASE 5                        # 1000 laps through it
  CLEAR
  li s2, 1000
  jalr ra, 0(s4)
  CHECK a0, 1000 * 0x105
  CHECK a1, 1000 * 7
  CHECK a2, 1000 * 3
  CHECK a3, 1000
  CHECK s3, 1000

  CASE 6                        # unmapped again: the same exact fault
  PTE_ADDR t2, l0, 0x31
  sd zero, 0(t2)
  sfence.vma
  CLEAR
  li s2, 1000
  EXPECT_STRAP CAUSE_FETCH_PAGE, 4f
  jalr ra, 0(s4)
  j rvx_fail
4:
  CHECK_STVAL VA_S2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_S1 + INSN
  CHECK a0, 5
  CHECK s3, 0

  CASE 7                        # page 2 -> spage2b: immediate 0x200
  MAP_PAGE 0x31, 0x2000, X_PTE
  sfence.vma
  CLEAR
  li s2, 100
  jalr ra, 0(s4)
  CHECK a0, 100 * 0x205
  CHECK s3, 100

  CASE 8                        # the high half rewritten by a store
  MAP_PAGE 0x31, 0x1000, X_PTE
  sfence.vma
  la t1, spage1
  li t2, 0x1000
  add t1, t1, t2
  li t2, 0x3005                 /* high half of addi a0, a0, 0x300 */
  sh t2, 0(t1)
  fence.i
  CLEAR
  li s2, 100
  jalr ra, 0(s4)
  CHECK a0, 100 * 0x305
  CHECK s3, 100
  RETURN_TO_M CAUSE_ECALL_S, 5f
5:

  CASE 9                        # U-mode, page 2 unmapped
  CLEAR
  li s2, 1
  li ra, VA_UX
  li s4, VA_U1 + ENTRY
  EXPECT_STRAP CAUSE_FETCH_PAGE, 6f
  GOTO_MODE_REG PRV_U, s4
6:
  CHECK_STVAL VA_U2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_U1 + INSN
  GET_STRAP t2, TR_STATUS       # taken from U
  andi t2, t2, MSTATUS_SPP
  CHECK t2, 0
  CHECK a0, 5
  RETURN_TO_M CAUSE_ECALL_S, 7f
7:

  CASE 10                       # U-mode, page 2 mapped (U, X)
  MAP_PAGE 0x41, 0x1000, XU_PTE
  sfence.vma
  CLEAR
  li s2, 10
  li ra, VA_UX
  li s4, VA_U1 + ENTRY
  EXPECT_MTRAP CAUSE_ECALL_U, 8f
  GOTO_MODE_REG PRV_U, s4
8:
  CHECK a0, 10 * 0x305
  CHECK s3, 10

  CASE 11                       # U-mode, page 2 without U
  MAP_PAGE 0x41, 0x1000, X_PTE
  sfence.vma
  CLEAR
  li s2, 1
  li ra, VA_UX
  li s4, VA_U1 + ENTRY
  EXPECT_STRAP CAUSE_FETCH_PAGE, 9f
  GOTO_MODE_REG PRV_U, s4
9:
  CHECK_STVAL VA_U2
  GET_STRAP t2, TR_EPC
  CHECK t2, VA_U1 + INSN
  CHECK a0, 5
  RETURN_TO_M CAUSE_ECALL_S, 10f
10:
  csrw satp, zero
  sfence.vma
  csrw medeleg, zero

  CASE 12                       # M-mode, no paging
  CLEAR
  li s2, 10
  la s4, spage1
  li t0, ENTRY
  add s4, s4, t0
  jalr ra, 0(s4)
  CHECK a0, 10 * 0x305
  CHECK s3, 10
RVX_TEST_END

  .text
  .option push
  .option norvc
  .balign 4096
spage1:
  .skip ENTRY
  addi a0, a0, 5
  addi a1, a1, 7
  addi a2, a2, 3
  .option push
  .option rvc
  c.addi a3, 1
  .option pop
  .hword 0x0513                 /* low half of addi a0, a0, 0x100 (0x10050513) */
spage2:
  PAGE2 0x1005, spage1 + ENTRY
  .skip 0x1000 - (. - spage2)
spage2b:                        /* page 2's alternative: addi a0, a0, 0x200 */
  PAGE2 0x2005, spage1 + ENTRY + 0x1000
  .skip 0x1000 - (. - spage2b)
u_exit:                         /* U-mode: return to M */
  ecall
  j u_exit
  .option pop

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
