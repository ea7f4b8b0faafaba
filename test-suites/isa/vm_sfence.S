# sfence.vma (privileged spec 4.2.1): after a PTE is changed, sfence.vma
# (global, or for the one address) makes the new translation visible:
# remapping a page, invalidating it, validating it; switching satp between
# two page tables. The PTEs are edited from S-mode through the identity map.
#include "rvx_test.h"
#include "rvx_vm.h"

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_PA root2, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root2, 0, l1b
  PTE_NEXT l1b, 0, l0b
  PTE_LEAF_SYM l0b, 1, dpage1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  la t0, dpage0
  li t1, 0xaaaa
  sd t1, 0(t0)
  la t0, dpage1
  li t1, 0xbbbb
  sd t1, 0(t0)
  li t0, 1 << CAUSE_LOAD_PAGE   # case 4 takes its page fault in S-mode
  csrw medeleg, t0
  SATP_SET SATP_SV39, root
  GOTO_MODE PRV_S, s_start
s_start:
  li s1, 0x1000
  CASE 1
  ld a0, 0(s1)
  CHECK a0, 0xaaaa
  CASE 2                        # remap to dpage1, global sfence
  PTE_LEAF_SYM l0, 1, dpage1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sfence.vma
  ld a0, 0(s1)
  CHECK a0, 0xbbbb
  CASE 3                        # remap back, sfence for this address only
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sfence.vma s1, zero
  ld a0, 0(s1)
  CHECK a0, 0xaaaa
  CASE 4                        # invalidate: the access faults
  PTE_ADDR a2, l0, 1
  sd zero, 0(a2)
  sfence.vma s1
  EXPECT_STRAP CAUSE_LOAD_PAGE, 1f
  ld a0, 0(s1)
  j rvx_fail
1:
  CHECK_STVAL 0x1000
  CASE 5                        # valid again after the fault
  PTE_LEAF_SYM l0, 1, dpage1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sfence.vma
  ld a0, 0(s1)
  CHECK a0, 0xbbbb
  CASE 6                        # a store through the new mapping
  li a1, 0xcccc
  sd a1, 8(s1)
  ld a0, 8(s1)
  CHECK a0, 0xcccc
  CASE 7                        # switch satp to the second page table
  la t0, root2
  srli t0, t0, 12
  li t1, SATP_SV39 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  PTE_LEAF_SYM l0b, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sfence.vma
  ld a0, 0(s1)
  CHECK a0, 0xaaaa
  CASE 8                        # the write of case 6 went to dpage1
  RETURN_TO_M CAUSE_ECALL_S, 2f
2:
  la t0, dpage1
  ld a0, 8(t0)
  CHECK a0, 0xcccc
  csrw satp, zero
  sfence.vma
  csrw medeleg, zero
RVX_TEST_END

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE root2
  PT_PAGE l1b
  PT_PAGE l0b
  PT_PAGE dpage0
  PT_PAGE dpage1
