# Hardware A/D updating (privileged spec 4.3.1 "Svadu" behaviour; rvx always
# updates, menvcfg.ADUE is set too in case it is implemented): an access
# through a PTE with A = 0 sets A, a store through a PTE with D = 0 sets A
# and D, a load never sets D, a fetch sets A, superpage leaves are updated,
# and a faulting access leaves the PTE alone. The PTEs are read back
# physically in M-mode.
#include "rvx_test.h"
#include "rvx_vm.h"
#define CSR_MENVCFG 0x30a
#define MENVCFG_ADUE (1 << 61)

/* a0 = PTE l0[index] & (A | D) */
.macro PTE_AD index
  PTE_ADDR a0, l0, \index
  ld a0, 0(a0)
  andi a0, a0, PTE_A | PTE_D
.endm

RVX_TEST_BEGIN
  li t0, MENVCFG_ADUE
  csrs CSR_MENVCFG, t0
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W
  PTE_LEAF_SYM l0, 2, dpage1, PTE_V | PTE_R | PTE_W | PTE_A
  PTE_LEAF_SYM l0, 3, dpage2, PTE_V | PTE_R
  PTE_LEAF_SYM l0, 4, xpage, PTE_V | PTE_X
  PTE_LEAF_SYM l0, 5, dpage3, PTE_V | PTE_R
  PTE_LEAF_PA l1, 1, 0x80400000, PTE_V | PTE_R | PTE_W
  SATP_SET SATP_SV39, root

  CASE 1                        # load: A set, D not
  GOTO_MODE PRV_S, s1
s1:
  li a1, 0x1000
  ld a0, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 1f
1:
  PTE_AD 1
  CHECK a0, PTE_A
  CASE 2                        # then a store: D set
  GOTO_MODE PRV_S, s2
s2:
  li a1, 0x1000
  sd a1, 8(a1)
  RETURN_TO_M CAUSE_ECALL_S, 2f
2:
  PTE_AD 1
  CHECK a0, PTE_A | PTE_D
  CASE 3                        # store through A = 1, D = 0
  GOTO_MODE PRV_S, s3
s3:
  li a1, 0x2000
  sw a1, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 3f
3:
  PTE_AD 2
  CHECK a0, PTE_A | PTE_D
  CASE 4                        # first access is a store: both set at once
  PTE_LEAF_SYM l0, 6, dpage0, PTE_V | PTE_R | PTE_W
  sfence.vma
  GOTO_MODE PRV_S, s4
s4:
  li a1, 0x6000
  sb a1, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 4f
4:
  PTE_AD 6
  CHECK a0, PTE_A | PTE_D
  CASE 5                        # read-only page, load: A only
  GOTO_MODE PRV_S, s5
s5:
  li a1, 0x3000
  lbu a0, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 5f
5:
  PTE_AD 3
  CHECK a0, PTE_A
  CASE 6                        # fetch: A set
  GOTO_MODE PRV_S, s6
s6:
  li a1, 0x4000
  jalr ra, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 6f
6:
  PTE_AD 4
  CHECK a0, PTE_A
  CASE 7                        # a faulting store leaves A and D clear
  EXPECT_MTRAP CAUSE_STORE_PAGE, 7f
  GOTO_MODE PRV_S, s7
s7:
  li a1, 0x5000
  sd a1, 0(a1)
  j rvx_fail
7:
  PTE_AD 5
  CHECK a0, 0
  CASE 8                        # megapage leaf: store sets A and D
  GOTO_MODE PRV_S, s8
s8:
  li a1, 0x200000 + 0x40
  sd a1, 0(a1)
  RETURN_TO_M CAUSE_ECALL_S, 8f
8:
  PTE_ADDR a0, l1, 1
  ld a0, 0(a0)
  andi a0, a0, PTE_A | PTE_D
  CHECK a0, PTE_A | PTE_D
  CASE 9                        # the non-leaf PTEs are not given A/D
  PTE_ADDR a0, root, 0
  ld a0, 0(a0)
  andi a0, a0, PTE_A | PTE_D | PTE_U
  CHECK a0, 0
  csrw satp, zero
  sfence.vma
RVX_TEST_END

  .text
  .balign 4096
xpage:
  ret

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE dpage0
  PT_PAGE dpage1
  PT_PAGE dpage2
  PT_PAGE dpage3
