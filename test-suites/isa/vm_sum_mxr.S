# sstatus.SUM and sstatus.MXR (privileged spec 4.1.1.2): S-mode loads and
# stores to U pages fault unless SUM = 1; S-mode never executes U pages;
# loads from execute-only pages fault unless MXR = 1, in S and in U mode;
# MXR does not allow stores. Both bits take effect at once, without an
# sfence.vma, in both directions (so a TLB must not cache the old result).
#include "rvx_test.h"
#include "rvx_vm.h"

#define USER_ALIAS 0x40000000

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_LEAF_PA root, 1, 0x80000000, PTE_RWX_AD | PTE_U
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
  PTE_LEAF_SYM l0, 2, xpage, PTE_V | PTE_X | PTE_A
  PTE_LEAF_SYM l0, 3, xpage, PTE_V | PTE_X | PTE_U | PTE_A
  PTE_LEAF_SYM l0, 4, upage_code, PTE_V | PTE_X | PTE_U | PTE_A
  la t0, dpage0
  li t1, 0xabcd
  sd t1, 0(t0)
  la t0, xpage
  lwu s4, 0(t0)                 # the first instruction word of xpage
  SATP_SET SATP_SV39, root

  CASE 1                        # S load from a U page, SUM = 0
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 1f
  GOTO_MODE PRV_S, s1
s1:
  li a1, 0x1000
  ld a0, 0(a1)
  j rvx_fail
1:
  CHECK_MTVAL 0x1000
  CASE 2                        # S store to a U page, SUM = 0
  EXPECT_MTRAP CAUSE_STORE_PAGE, 2f
  GOTO_MODE PRV_S, s2
s2:
  li a1, 0x1008
  sd a1, 0(a1)
  j rvx_fail
2:
  CHECK_MTVAL 0x1008
  CASE 3                        # SUM = 1: both work
  GOTO_MODE PRV_S, s3
s3:
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  li a1, 0x1000
  ld a0, 0(a1)
  CHECK a0, 0xabcd
  sd a0, 8(a1)
  ld a2, 8(a1)
  CHECK a2, 0xabcd
  CASE 4                        # SUM cleared again, no sfence: faults again
  li t0, MSTATUS_SUM
  csrc sstatus, t0
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 3f
  ld a0, 0(a1)
  j rvx_fail
3:
  CASE 5                        # SUM = 1 does not allow S to fetch from U
  EXPECT_MTRAP CAUSE_FETCH_PAGE, 4f
  GOTO_MODE PRV_S, s5
s5:
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  li a1, 0x4000
  jalr ra, 0(a1)
  j rvx_fail
4:
  CHECK_MTVAL 0x4000
  li t0, MSTATUS_SUM
  csrc mstatus, t0
  CASE 6                        # S load from execute-only page, MXR = 0
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 5f
  GOTO_MODE PRV_S, s6
s6:
  li a1, 0x2000
  lwu a0, 0(a1)
  j rvx_fail
5:
  CHECK_MTVAL 0x2000
  CASE 7                        # MXR = 1: the load works
  GOTO_MODE PRV_S, s7
s7:
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  li a1, 0x2000
  lwu a0, 0(a1)
  CHECKR a0, s4
  CASE 8                        # MXR does not allow a store
  EXPECT_MTRAP CAUSE_STORE_PAGE, 6f
  sw a0, 0(a1)
  j rvx_fail
6:
  CASE 9                        # MXR cleared, no sfence: faults again
  GOTO_MODE PRV_S, s9
s9:
  li t0, MSTATUS_MXR
  csrc sstatus, t0
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 7f
  li a1, 0x2000
  lwu a0, 0(a1)
  j rvx_fail
7:
  CASE 10                       # U-mode: load from U execute-only page faults
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 8f
  li s2, 0x3000
  li s1, 0x4000
  GOTO_MODE_REG PRV_U, s1
8:
  CHECK_MTVAL 0x3000
  CASE 11                       # ... and works with MXR = 1
  li t0, MSTATUS_MXR
  csrs mstatus, t0
  EXPECT_MTRAP CAUSE_ECALL_U, 9f
  li s2, 0x3000
  GOTO_MODE_REG PRV_U, s1
9:
  CHECKR s3, s4
  li t0, MSTATUS_MXR
  csrc mstatus, t0
  csrw satp, zero
  sfence.vma
RVX_TEST_END

  .text
  .balign 4096
xpage:
  ret
  .balign 4096
upage_code:                     /* U-mode at 0x4000: s3 = lwu(s2); ecall */
  lwu s3, 0(s2)
  ecall
  j upage_code

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE dpage0
