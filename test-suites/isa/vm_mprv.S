# mstatus.MPRV (privileged spec 3.1.6.3): with MPRV = 1, M-mode loads and
# stores are translated and checked as if in the mode in MPP (including
# SUM), while instruction fetches are not; MPP = M means no translation.
# The identity map of RAM stays valid so the handler may run under MPRV.
#include "rvx_test.h"
#include "rvx_vm.h"

.macro MPRV_ON mpp
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPRV | ((\mpp) << 11)
  csrs mstatus, t0
.endm
.macro MPRV_OFF
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
.endm

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_SYM l0, 2, dpage1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
  la t0, dpage0
  li t1, 0x1234
  sd t1, 0(t0)
  la t0, dpage1
  li t1, 0x5678
  sd t1, 0(t0)
  SATP_SET SATP_SV39, root

  CASE 1                        # MPRV with MPP = S: the load is translated
  li a1, 0x1000
  MPRV_ON PRV_S
  ld a0, 0(a1)
  MPRV_OFF
  CHECK a0, 0x1234
  CASE 2                        # and so is a store
  MPRV_ON PRV_S
  li a2, 0x9999
  sd a2, 16(a1)
  MPRV_OFF
  la t0, dpage0
  ld a0, 16(t0)
  CHECK a0, 0x9999
  CASE 3                        # MPP = U: an S page faults, mtval = VA
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 1f
  MPRV_ON PRV_U
  ld a0, 0(a1)
  j rvx_fail
1:
  MPRV_OFF
  CHECK_MTVAL 0x1000
  CASE 4                        # MPP = U: a U page works
  li a1, 0x2000
  MPRV_ON PRV_U
  ld a0, 0(a1)
  MPRV_OFF
  CHECK a0, 0x5678
  CASE 5                        # MPP = S, SUM = 0: the U page faults (store)
  EXPECT_MTRAP CAUSE_STORE_PAGE, 2f
  MPRV_ON PRV_S
  sd a0, 8(a1)
  j rvx_fail
2:
  MPRV_OFF
  CHECK_MTVAL 0x2008
  CASE 6                        # ... and works with SUM = 1
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  MPRV_ON PRV_S
  ld a0, 0(a1)
  MPRV_OFF
  li t0, MSTATUS_SUM
  csrc mstatus, t0
  CHECK a0, 0x5678
  CASE 7                        # MPP = M: physical addresses
  la a1, dpage0
  MPRV_ON PRV_M
  ld a0, 0(a1)
  MPRV_OFF
  CHECK a0, 0x1234
  CASE 8                        # the data path is translated, fetch is not:
  MPRV_ON PRV_S                 # this code keeps running at its physical
  li a1, 0x1000                 # address through many loads
  li a2, 0
  li a3, 100
3:
  ld a0, 0(a1)
  add a2, a2, a0
  addi a3, a3, -1
  bnez a3, 3b
  MPRV_OFF
  CHECK a2, 100 * 0x1234
  csrw satp, zero
  sfence.vma
RVX_TEST_END

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE dpage0
  PT_PAGE dpage1
