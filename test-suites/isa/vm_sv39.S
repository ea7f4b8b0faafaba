# Sv39 translation and page faults (privileged spec 4.3, 4.4): 4 KiB pages,
# 2 MiB and 1 GiB superpages, a misaligned superpage, invalid PTEs, the
# reserved W-without-R encoding, R/W/X/U permission checks, a
# non-canonical address, load/store/fetch page faults (causes 13/15/12)
# with mtval = the faulting virtual address, and a delegated page fault with
# stval. All PTEs have A and D set (hardware A/D updating: vm_ad.S).
#
# Virtual map (S-mode code runs at its physical address):
#   0x80000000 1G  identity, RWX                    (root[2])
#   0xc0000000 1G  -> 0x80000000, RW                (root[3], gigapage test)
#   0x40000000 1G  -> 0x80000000, RWX U             (root[1], user alias)
#   0x00001000 4K  -> dpage0 RW      0x00002000 -> dpage1 R
#   0x00003000 4K  -> xpage X        0x00004000 invalid (V = 0)
#   0x00005000 4K  -> dpage2 W only (reserved)      0x00006000 -> dpage3 RW U
#   0x00200000 2M  -> 0x80400000 RW  0x00400000 2M -> 0x80401000 (misaligned)
#include "rvx_test.h"
#include "rvx_vm.h"

#define USER_ALIAS 0x40000000      /* PA - USER_ALIAS = user-mode VA */
#define GIGA_ALIAS 0x40000000      /* PA + GIGA_ALIAS = gigapage VA */

RVX_TEST_BEGIN
  PTE_LEAF_PA root, 2, 0x80000000, PTE_RWX_AD
  PTE_LEAF_PA root, 3, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_PA root, 1, 0x80000000, PTE_RWX_AD | PTE_U
  PTE_NEXT root, 0, l1
  PTE_NEXT l1, 0, l0
  PTE_LEAF_SYM l0, 1, dpage0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_SYM l0, 2, dpage1, PTE_V | PTE_R | PTE_A
  PTE_LEAF_SYM l0, 3, xpage, PTE_V | PTE_X | PTE_A
  PTE_LEAF_SYM l0, 5, dpage2, PTE_V | PTE_W | PTE_A | PTE_D
  PTE_LEAF_SYM l0, 6, dpage3, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
  PTE_LEAF_PA l1, 1, 0x80400000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  PTE_LEAF_PA l1, 2, 0x80401000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  /* markers, written physically */
  la t0, dpage0
  li t1, 0x1111
  sd t1, 8(t0)
  la t0, dpage1
  li t1, 0x2222
  sd t1, 16(t0)
  li t0, 0x80401238
  li t1, 0x3333
  sd t1, 0(t0)
  la t0, dpage3
  li t1, 0x4444
  sd t1, 0(t0)
  SATP_SET SATP_SV39, root

  CASE 1                        # satp reads back
  csrr a0, satp
  srli a0, a0, 60
  CHECK a0, SATP_SV39
  CASE 2                        # 4K page load in S-mode
  GOTO_MODE PRV_S, s2
s2:
  li a1, 0x1008
  ld a0, 0(a1)
  CHECK a0, 0x1111
  CASE 3                        # 4K page store, seen physically
  li a2, 0x5555
  sd a2, 0x20(a1)
  RETURN_TO_M CAUSE_ECALL_S, 1f
1:
  la t0, dpage0
  ld a0, 0x28(t0)
  CHECK a0, 0x5555
  CASE 4                        # 2M megapage
  GOTO_MODE PRV_S, s4
s4:
  li a1, 0x200000 + 0x1238
  ld a0, 0(a1)
  CHECK a0, 0x3333
  CASE 5                        # 1G gigapage
  la a1, dpage0
  li t0, GIGA_ALIAS
  add a1, a1, t0
  ld a0, 8(a1)
  CHECK a0, 0x1111
  CASE 6                        # X-only page: fetch works
  li a1, 0x3000
  jalr ra, 0(a1)
  CHECK a0, 0x77
  RETURN_TO_M CAUSE_ECALL_S, 2f
2:
  CASE 7                        # misaligned megapage: load page fault
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 3f
  GOTO_MODE PRV_S, s7
s7:
  li a1, 0x400008
  ld a0, 0(a1)
  j rvx_fail
3:
  CHECK_MTVAL 0x400008
  CASE 8                        # store to a read-only page
  EXPECT_MTRAP CAUSE_STORE_PAGE, 4f
  GOTO_MODE PRV_S, s8
s8:
  li a1, 0x2010
  sd a1, 0(a1)
  j rvx_fail
4:
  CHECK_MTVAL 0x2010
  la t0, dpage1                 # memory unchanged
  ld a0, 16(t0)
  CHECK a0, 0x2222
  CASE 9                        # invalid PTE
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 5f
  GOTO_MODE PRV_S, s9
s9:
  li a1, 0x4abc
  lbu a0, 0(a1)
  j rvx_fail
5:
  CHECK_MTVAL 0x4abc
  CASE 10                       # W without R is reserved: load faults ...
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 6f
  GOTO_MODE PRV_S, s10
s10:
  li a1, 0x5000
  ld a0, 0(a1)
  j rvx_fail
6:
  CHECK_MTVAL 0x5000
  CASE 11                       # ... and so does a store
  EXPECT_MTRAP CAUSE_STORE_PAGE, 7f
  GOTO_MODE PRV_S, s11
s11:
  li a1, 0x5008
  sd a1, 0(a1)
  j rvx_fail
7:
  CHECK_MTVAL 0x5008
  CASE 12                       # fetch from a non-executable page
  EXPECT_MTRAP CAUSE_FETCH_PAGE, 8f
  GOTO_MODE PRV_S, s12
s12:
  li a1, 0x1000
  jalr ra, 0(a1)
  j rvx_fail
8:
  CHECK_MTVAL 0x1000
  GET_MTRAP a0, TR_EPC
  CHECK a0, 0x1000
  CASE 13                       # load from an execute-only page (MXR = 0)
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 9f
  GOTO_MODE PRV_S, s13
s13:
  li a1, 0x3000
  lw a0, 0(a1)
  j rvx_fail
9:
  CHECK_MTVAL 0x3000
  CASE 14                       # S-mode fetch from a U page always faults
  EXPECT_MTRAP CAUSE_FETCH_PAGE, 10f
  la s1, u_code
  li t0, USER_ALIAS
  sub s1, s1, t0
  GOTO_MODE PRV_S, s14
s14:
  jalr ra, 0(s1)
  j rvx_fail
10:
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, s1
  CASE 15                       # U-mode load from a U page works
  EXPECT_MTRAP CAUSE_ECALL_U, 11f
  li s2, 0x6000
  GOTO_MODE_REG PRV_U, s1
11:
  CHECK s3, 0x4444
  CASE 16                       # U-mode load from an S page faults
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 12f
  li s2, 0x1008
  GOTO_MODE_REG PRV_U, s1
12:
  CHECK_MTVAL 0x1008
  CASE 17                       # U-mode fetch from an S page faults
  EXPECT_MTRAP CAUSE_FETCH_PAGE, 13f
  la s1, u_code
  GOTO_MODE_REG PRV_U, s1
13:
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, s1
  CASE 18                       # non-canonical address (bit 38 not copied up)
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 14f
  GOTO_MODE PRV_S, s18
s18:
  li a1, 0x0000004000000000
  ld a0, 0(a1)
  j rvx_fail
14:
  CHECK_MTVAL 0x0000004000000000
  CASE 19                       # a sign-extended high address is canonical
  EXPECT_MTRAP CAUSE_LOAD_PAGE, 15f   # (and unmapped: root[511] is empty)
  GOTO_MODE PRV_S, s19
s19:
  li a1, 0xffffffffc0000010
  ld a0, 0(a1)
  j rvx_fail
15:
  CHECK_MTVAL 0xffffffffc0000010
  CASE 20                       # delegated page faults: stval
  li t0, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE) | (1 << CAUSE_FETCH_PAGE)
  csrw medeleg, t0
  GOTO_MODE PRV_S, s20
s20:
  EXPECT_STRAP CAUSE_STORE_PAGE, 16f
  li a1, 0x2018
  sw a1, 0(a1)
  j rvx_fail
16:
  CHECK_STVAL 0x2018
  CASE 21
  EXPECT_STRAP CAUSE_FETCH_PAGE, 17f
  li a1, 0x4000
  jr a1
  j rvx_fail
17:
  CHECK_STVAL 0x4000
  GET_STRAP a0, TR_EPC
  CHECK a0, 0x4000
  RETURN_TO_M CAUSE_ECALL_S, 18f
18:
  csrw medeleg, zero
  csrw satp, zero
  sfence.vma
RVX_TEST_END

  .text
  .balign 4096
xpage:                          /* mapped execute-only at 0x3000 */
  li a0, 0x77
  ret
  .balign 4
u_code:                         /* U-mode: s3 = load(s2), then ecall */
  ld s3, 0(s2)
  ecall
  j u_code

  .data
  PT_PAGE root
  PT_PAGE l1
  PT_PAGE l0
  PT_PAGE dpage0
  PT_PAGE dpage1
  PT_PAGE dpage2
  PT_PAGE dpage3
