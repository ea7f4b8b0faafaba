/* PMP execute permission that ends in the middle of a page (privileged spec 3.7.1): S-mode may
 * execute [P, P+0x800) but not [P+0x800, P+0x1000). Straight-line code starting at P+0x7f8 must
 * take an instruction access fault exactly at P+0x800 after running the two instructions
 * before it, the first time (decoding) and again when the code is cached (case 2); jumping to
 * P+0x800 directly faults too (case 3). A decoded block must never run past a PMP edge.
 * QEMU 7.2 does not get case 1 right (it checks PMP per translation block), so this file was
 * written from the spec. */
#include "rvx_test.h"
RVX_TEST_BEGIN
  la t0, xpage
  li t1, 0x800
  add t0, t0, t1
  srli t0, t0, 2
  csrw pmpaddr0, t0            /* [0, P+0x800) RWX */
  la t0, xpage
  li t1, 0x1000
  add t0, t0, t1
  srli t0, t0, 2
  csrw pmpaddr1, t0            /* [P+0x800, P+0x1000) RW */
  li t0, -1
  csrw pmpaddr2, t0
  li t0, 0x1f0b0f
  csrw pmpcfg0, t0
  sfence.vma
  CASE 3
  la s2, xpage
  li t1, 0x800
  add s2, s2, t1
  li a0, 0
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 3f
  GOTO_MODE_REG PRV_S, s2
3:
  CHECK a0, 0
  j 9f
9:
  CASE 1
  li a0, 0
  la s1, xpage
  li t1, 0x7f8
  add s1, s1, t1
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 1f
  GOTO_MODE_REG PRV_S, s1
1:
  GET_MTRAP t2, TR_TVAL
  la t3, xpage
  sub t2, t2, t3
  CHECK t2, 0x800
  GET_MTRAP t2, TR_EPC
  sub t2, t2, t3
  CHECK t2, 0x800
  CHECK a0, 2
  CASE 2                        # again, now that the block is cached
  li a0, 0
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 2f
  GOTO_MODE_REG PRV_S, s1
2:
  GET_MTRAP t2, TR_TVAL
  la t3, xpage
  sub t2, t2, t3
  CHECK t2, 0x800
  CHECK a0, 2
RVX_TEST_END
  .text
  .option norvc
  .balign 4096
xpage:
  .skip 0x7f8
  addi a0, a0, 1
  addi a0, a0, 1
  addi a0, a0, 1
  addi a0, a0, 1
  ecall
