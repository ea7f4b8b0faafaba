# Zicbom / Zicboz cache-block operations (CMO spec 1.0): cbo.zero zeroes
# the whole cache block holding the address (any alignment) and nothing
# outside it (the block is assumed to be at least 64 bytes and at most a
# page); cbo.clean/flush/inval do not change memory; the lower-privilege
# enables in menvcfg/senvcfg (CBZE bit 7, CBCFE bit 6, CBIE bits 5:4; 00 =
# illegal) make the instructions illegal in S/U mode when clear; cbo.zero to
# unmapped memory is a store access fault.
# QEMU-SKIP: QEMU 7.2 (Debian build) has no Zicbom/Zicboz.
#include "rvx_test.h"
#define CSR_MENVCFG 0x30a
#define CSR_SENVCFG 0x10a
#define ENVCFG_CBZE (1 << 7)
#define ENVCFG_CBCFE (1 << 6)
#define ENVCFG_CBIE_INVAL (3 << 4)

/* fill buf (2 pages) with 0xa5 bytes */
.macro FILL
  la t0, buf
  li t1, 8192 / 8
  li t2, 0xa5a5a5a5a5a5a5a5
.Lfill\@:
  sd t2, 0(t0)
  addi t0, t0, 8
  addi t1, t1, -1
  bnez t1, .Lfill\@
.endm

RVX_TEST_BEGIN
  la s0, buf
  li t0, 1024
  add s0, s0, t0                # s0: 64-byte aligned, inside the first page
  CASE 1                        # cbo.zero on an unaligned address in the block
  FILL
  addi a1, s0, 37
  cbo.zero (a1)
  ld a0, 0(s0)
  CHECK a0, 0
  ld a0, 56(s0)
  CHECK a0, 0
  CASE 2                        # nothing outside the block (<= 4K) changed
  lbu a0, -1(s0)
  li t0, 4096
  add a2, s0, t0
  lbu a3, 0(a2)
  CHECK a0, 0xa5
  CHECK a3, 0xa5
  CASE 3                        # clean / flush / inval leave memory alone
  FILL
  cbo.clean (s0)
  cbo.flush (s0)
  cbo.inval (s0)
  ld a0, 0(s0)
  CHECK a0, 0xa5a5a5a5a5a5a5a5
  CASE 4                        # S-mode with menvcfg.CBZE = 0: illegal
  csrw CSR_MENVCFG, zero
  EXPECT_MTRAP CAUSE_ILLEGAL, 1f
  GOTO_MODE PRV_S, s_zero_off
s_zero_off:
  cbo.zero (s0)
  j rvx_fail
1:
  CHECK_MTVAL_INSN s_zero_off
  CASE 5                        # S-mode clean with CBCFE = 0: illegal
  EXPECT_MTRAP CAUSE_ILLEGAL, 2f
  GOTO_MODE PRV_S, s_clean_off
s_clean_off:
  cbo.clean (s0)
  j rvx_fail
2:
  CHECK_MTVAL_INSN s_clean_off
  CASE 6                        # S-mode inval with CBIE = 00: illegal
  EXPECT_MTRAP CAUSE_ILLEGAL, 3f
  GOTO_MODE PRV_S, s_inval_off
s_inval_off:
  cbo.inval (s0)
  j rvx_fail
3:
  CHECK_MTVAL_INSN s_inval_off
  CASE 7                        # all enabled: S-mode may use them
  li t0, ENVCFG_CBZE | ENVCFG_CBCFE | ENVCFG_CBIE_INVAL
  csrs CSR_MENVCFG, t0
  FILL
  GOTO_MODE PRV_S, s_on
s_on:
  cbo.clean (s0)
  cbo.inval (s0)
  cbo.zero (s0)
  csrw CSR_SENVCFG, zero        # U-mode: senvcfg also needs the bits
  RETURN_TO_M CAUSE_ECALL_S, 4f
4:
  ld a0, 8(s0)
  CHECK a0, 0
  CASE 8                        # U-mode with senvcfg.CBZE = 0: illegal
  EXPECT_MTRAP CAUSE_ILLEGAL, 5f
  GOTO_MODE PRV_U, u_zero_off
u_zero_off:
  cbo.zero (s0)
  j rvx_fail
5:
  CHECK_MTVAL_INSN u_zero_off
  CASE 9                        # ... and allowed with senvcfg.CBZE = 1
  li t0, ENVCFG_CBZE
  csrw CSR_SENVCFG, t0
  FILL
  GOTO_MODE PRV_U, u_zero_on
u_zero_on:
  cbo.zero (s0)
  RETURN_TO_M CAUSE_ECALL_U, 6f
6:
  ld a0, 16(s0)
  CHECK a0, 0
  CASE 10                       # cbo.zero to unmapped memory: store access fault
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 7f
  li a1, 0x40
  cbo.zero (a1)
  j rvx_fail
7:
  csrw CSR_SENVCFG, zero
  csrw CSR_MENVCFG, zero
RVX_TEST_END

  .data
  .balign 4096
buf: .zero 8192
