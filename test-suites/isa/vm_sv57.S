# Sv57 (privileged spec 4.6): a 4 KiB page reached through all five levels,
# a 256 TiB petapage, a misaligned petapage, a 1 GiB gigapage (the identity
# map the code runs in), a permission fault at the last level, and the
# 57-bit canonical-address rule; mtval = the virtual address.
#
#   VA 0x0001000000001000 -> dpage0 RW, 0x0001000000002000 -> dpage1 R
#      (root[1] -> l3b[0] -> l2b[0] -> l1[0] -> l0[1..2])
#   VA 0x0002000000000000 256T petapage -> PA 0        (root[2])
#   VA 0x0003000000000000 petapage -> PA 0x80000000, misaligned (root[3])
#   VA 0x0000000080000000 identity gigapage    (root[0] -> l3[0] -> l2[2])
#include "rvx_test.h"
#include "rvx_vm.h"
#define VA_4K   0x0001000000001000
#define VA_PETA 0x0002000000000000
RVX_TEST_BEGIN
  PTE_NEXT root, 0, l3
  PTE_NEXT l3, 0, l2
  PTE_LEAF_PA l2, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 1, l3b
  PTE_NEXT l3b, 0, l2b
  PTE_NEXT l2b, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_SYM l0, 2, dpage1, PTE_V | PTE_R | PTE_A
  PTE_LEAF_PA root, 2, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_PA root, 3, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  la t0, dpage0
  li t1, 0x5757
  sd t1, 0(t0)
  SATP_SET SATP_SV57, root
  CASE 1                        # Sv57 is supported: satp keeps the mode
  csrr a0, satp
  srli a0, a0, 60
  CHECK a0, SATP_SV57
  CASE 2                        # 5-level walk
  GOTO_MODE PRV_S, s2
s2:
  li a1, VA_4K
  ld a0, 0(a1)
  CHECK a0, 0x5757
  li a2, 0x1257
  sd a2, 8(a1)
  CASE 3                        # (a store, checked through) the petapage: VA_PETA + PA
  la a1, dpage0
  li t0, VA_PETA
  add a1, a1, t0
  ld a0, 8(a1)
  CHECK a0, 0x1257
  RETURN_TO_M CAUSE_ECALL_S, 1f
1:
  CASE 5                        # store to the read-only 4K page
  EXPECT_MTRAP CAUSE_STORE_PAGE, 2f
  GOTO_MODE PRV_S, s5
s5:
  li a1, VA_4K + 0x1010
  sd a1, 0(a1)
  j rvx_fail
2:
  CHECK_MTVAL VA_4K + 0x1010
  CASE 6                        # misaligned petapage
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 3f
  GOTO_MODE PRV_S, s6
s6:
  li a1, 0x0003000000000040
  ld a0, 0(a1)
  j rvx_fail
3:
  CHECK_MTVAL 0x0003000000000040
  CASE 7                        # bit 56 set, bits 63:57 clear: not canonical
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 4f
  GOTO_MODE PRV_S, s7
s7:
  li a1, 0x0100000000000000
  ld a0, 0(a1)
  j rvx_fail
4:
  CHECK_MTVAL 0x0100000000000000
  CASE 8                        # beyond the Sv48 range
  EXPECT_MTRAP CAUSE_FETCH_PAGE, 5f   # fetch from the petapage: no X
  GOTO_MODE PRV_S, s8
s8:
  li a1, VA_PETA + 0x80000000
  jr a1
  j rvx_fail
5:
  CHECK_MTVAL VA_PETA + 0x80000000
  csrw satp, zero
  sfence.vma
RVX_TEST_END

  .data
  PT_PAGE root
  PT_PAGE l3
  PT_PAGE l3b
  PT_PAGE l2
  PT_PAGE l2b
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE dpage0
  PT_PAGE dpage1
