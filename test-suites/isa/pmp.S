# Physical memory protection (privileged spec 3.7): a NAPOT entry that
# grants only R denies S- and U-mode stores (store access fault, cause 7,
# mtval = address) but not M-mode ones; the lowest-numbered matching entry
# wins; a TOR entry; an entry without X denies S-mode fetches (cause 1);
# a locked entry applies to M-mode too and its pmpcfg byte ignores writes.
# sfence.vma follows every PMP change (spec 3.7.2).
#include "rvx_test.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_TOR 0x08
#define PMP_NAPOT 0x18
#define PMP_L 0x80

/* pmpaddr for a 4 KiB NAPOT region at the physical address in reg */
.macro NAPOT_4K reg
  srli \reg, \reg, 2
  ori \reg, \reg, 0x1ff
.endm

RVX_TEST_BEGIN
  la a0, dpage
  NAPOT_4K a0
  csrw pmpaddr0, a0
  li a0, -1
  csrw pmpaddr1, a0
  li a0, (PMP_NAPOT | PMP_R) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 8)
  csrw pmpcfg0, a0
  sfence.vma
  la s1, dpage

  CASE 1                        # pmpcfg0 reads back
  csrr a0, pmpcfg0
  li a1, 0xffff
  and a0, a0, a1
  CHECK a0, (PMP_NAPOT | PMP_R) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 8)
  CASE 2                        # S-mode store: access fault
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 1f
  GOTO_MODE PRV_S, s2
s2:
  sd s1, 16(s1)
  j rvx_fail
1:
  addi a1, s1, 16
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, a1
  ld a0, 16(s1)                 # nothing was written
  CHECK a0, 0
  CASE 3                        # S-mode load works; outside the region too
  GOTO_MODE PRV_S, s3
s3:
  ld a0, 0(s1)
  li a2, 4096
  add a2, a2, s1
  sd a2, 0(a2)                  # the next page: entry 1 allows it
  RETURN_TO_M CAUSE_ECALL_S, 2f
2:
  CHECK a0, 0x1234
  CASE 4                        # U-mode store: access fault
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 3f
  GOTO_MODE PRV_U, u4
u4:
  sw s1, 4(s1)
  j rvx_fail
3:
  addi a1, s1, 4
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, a1
  CASE 5                        # M-mode is not restricted by unlocked entries
  li a0, 0x77
  sd a0, 24(s1)
  ld a1, 24(s1)
  CHECK a1, 0x77

  CASE 6                        # TOR: entry 1 covers [pmpaddr0, pmpaddr1)
  la a0, dpage
  srli a0, a0, 2
  csrw pmpaddr0, a0
  la a0, dpage + 4096
  srli a0, a0, 2
  csrw pmpaddr1, a0
  li a0, -1
  csrw pmpaddr2, a0
  li a0, (PMP_TOR | PMP_R) << 8 | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 16)
  csrw pmpcfg0, a0
  sfence.vma
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 4f
  GOTO_MODE PRV_S, s6
s6:
  li a2, 4088
  add a2, a2, s1
  sd s1, 0(a2)                  # last doubleword of the region
  j rvx_fail
4:
  li a1, 4088
  add a1, a1, s1
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, a1
  CASE 7                        # the byte before the TOR region is outside it
  GOTO_MODE PRV_S, s7
s7:
  sb s1, -1(s1)
  RETURN_TO_M CAUSE_ECALL_S, 5f
5:
  CASE 8                        # no X: S-mode fetch is an access fault
  la a0, xpage
  NAPOT_4K a0
  csrw pmpaddr0, a0
  li a0, -1
  csrw pmpaddr1, a0
  li a0, (PMP_NAPOT | PMP_R) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 8)
  csrw pmpcfg0, a0
  sfence.vma
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 6f
  GOTO_MODE PRV_S, xpage
6:
  CHECK_MTVAL_LABEL xpage
  CASE 9                        # a locked entry binds M-mode as well
  la a0, dpage
  NAPOT_4K a0
  csrw pmpaddr0, a0
  li a0, (PMP_L | PMP_NAPOT | PMP_R) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 8)
  csrw pmpcfg0, a0
  sfence.vma
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 7f
  sd s1, 32(s1)
  j rvx_fail
7:
  addi a1, s1, 32
  GET_MTRAP a0, TR_TVAL
  CHECKR a0, a1
  CASE 10                       # and its configuration can no longer change
  li a0, (PMP_NAPOT | PMP_R | PMP_W) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 8)
  csrw pmpcfg0, a0
  csrr a0, pmpcfg0
  andi a0, a0, 0xff
  CHECK a0, PMP_L | PMP_NAPOT | PMP_R
  ld a0, 0(s1)                  # M-mode reads are still allowed
  CHECK a0, 0x1234
RVX_TEST_END

  .text
  .balign 4096
xpage:
  j rvx_fail
  .balign 4096

  .data
  .balign 4096
dpage:
  .dword 0x1234
  .balign 4096
  .zero 4096
