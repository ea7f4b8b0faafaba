# Code written by the program and then executed (unprivileged spec "Zifencei":
# after fence.i, instruction fetches see every earlier store of the hart).
# Every case overwrites code that has already run (so an engine has decoded
# or translated it), executes fence.i and checks that the new code runs:
#   1     a function on another page, patched from this page's code
#   2, 3  an instruction in the middle of a hot self-chained loop on another
#         page, then a nop of that loop turned into a new instruction
#   4     an instruction right after the store (same block): stored, fence.i,
#         executed, five times with a new immediate each time
#   5     the same without fence.i: the spec allows the old or the new
#         instruction there, so only that is checked; after a fence.i the new
#         one must run
#   6-12  other stores: sh (upper half: the immediate), sw of two compressed
#         instructions over one 4-byte one (the instruction boundaries move),
#         sb, sd over two instructions, amoswap.w, fsw, c.sw
#   13    a misaligned sd across a page boundary that rewrites the first
#         instruction of the next page
#   14    a function written to a data page that never held code, called twice
#         with a rewrite in between
#   15    cbo.zero over code: the zeroed instruction is illegal (not on QEMU
#         7.2, which lacks Zicboz)
# All in M-mode without paging; the patched code lives in .text.
#include "rvx_test.h"

/* I-type encodings (unprivileged spec 2.4) */
#define OP_IMM 0x13
#define ADDI(rd, rs1, imm) ((((imm) & 0xfff) << 20) | ((rs1) << 15) | ((rd) << 7) | OP_IMM)
#define A0 10
#define A1 11
#define A2 12
#define NOP ADDI(0, 0, 0)
/* c.li rd, imm (RV64C, quadrant 1, funct3 010) and c.addi rd, imm (funct3 000) */
#define C_LI(rd, imm) (0x4001 | (((imm) & 0x20) << 7) | ((rd) << 7) | (((imm) & 0x1f) << 2))
#define C_ADDI(rd, imm) (0x0001 | (((imm) & 0x20) << 7) | ((rd) << 7) | (((imm) & 0x1f) << 2))

/* Store the 32-bit word `word` at `label` (clobbers t1, t2). */
.macro PATCH_W label, word
  la t1, \label
  li t2, \word
  sw t2, 0(t1)
.endm

/* Call `fn` `n` times (so it is hot), leaving its last a0 (clobbers s2). */
.macro CALL_N fn, n
  li s2, \n
99:
  call \fn
  addi s2, s2, -1
  bnez s2, 99b
.endm

RVX_TEST_BEGIN
  .option push
  .option norvc

  CASE 1                        # patch a function on another page
  CALL_N fn1, 100
  CHECK a0, 1
  PATCH_W fn1, ADDI(A0, 0, 2)
  fence.i
  call fn1
  CHECK a0, 2
  PATCH_W fn1, ADDI(A0, 0, 3)   # and again
  fence.i
  call fn1
  CHECK a0, 3

  CASE 2                        # patch the body of a hot chained loop
  li a1, 0
  li s2, 10000
  call hot_loop
  CHECK a1, 10000
  PATCH_W hot_inc, ADDI(A1, A1, 3)
  fence.i
  li a1, 0
  li s2, 10000
  call hot_loop
  CHECK a1, 30000

  CASE 3                        # a nop of the loop becomes an instruction
  PATCH_W hot_nop, ADDI(A2, A2, 5)
  fence.i
  li a1, 0
  li a2, 0
  li s2, 10000
  call hot_loop
  CHECK a1, 30000
  CHECK a2, 50000

  CASE 4                        # store, fence.i, then the stored instruction
  li s3, 1
1:
  la t1, smc_next
  li t2, ADDI(A0, 0, 0)
  slli t3, s3, 20
  or t2, t2, t3
  sw t2, 0(t1)
  fence.i
smc_next:
  addi a0, zero, 0
  CHECKR a0, s3
  addi s3, s3, 1
  li t0, 6
  bne s3, t0, 1b

  CASE 5                        # no fence.i: old or new; after fence.i: new
  li s3, 0
  la t1, smc_ahead
  li t2, ADDI(A0, 0, 0x55)
  sw t2, 0(t1)
  addi a1, zero, 1
  addi a2, zero, 2
smc_ahead:
  addi a0, zero, 0x44
  bnez s3, 2f
  addi t0, a0, -0x44
  seqz t0, t0
  addi t3, a0, -0x55
  seqz t3, t3
  or t0, t0, t3
  CHECK t0, 1
  li s3, 1
  fence.i
  j smc_ahead
2:
  CHECK a0, 0x55

  CASE 6                        # sh: only the upper half (the immediate)
  CALL_N fn_half, 10
  CHECK a0, 0x123
  la t1, fn_half
  li t2, (ADDI(A0, 0, 0x456) >> 16)
  sh t2, 2(t1)
  fence.i
  call fn_half
  CHECK a0, 0x456

  CASE 7                        # two compressed instructions over one
  CALL_N fn_split, 10
  CHECK a0, 7
  PATCH_W fn_split, (C_LI(A0, 5) | (C_ADDI(A0, 3) << 16))
  fence.i
  call fn_split
  CHECK a0, 8

  CASE 8                        # sb: the top byte (imm[11:4])
  CALL_N fn_byte, 10
  CHECK a0, 0x11
  la t1, fn_byte
  li t2, 0x03
  sb t2, 3(t1)
  fence.i
  call fn_byte
  CHECK a0, 0x31

  CASE 9                        # sd over two instructions
  CALL_N fn_sd, 10
  CHECK a0, 3
  la t1, fn_sd
  li t2, (ADDI(A0, A0, 0x20) << 32) | ADDI(A0, 0, 0x10)
  sd t2, 0(t1)
  fence.i
  call fn_sd
  CHECK a0, 0x30

  CASE 10                       # amoswap.w; the old word comes back
  CALL_N fn_amo, 10
  CHECK a0, 1
  la t1, fn_amo
  li t2, ADDI(A0, 0, 0x41)
  amoswap.w t3, t2, (t1)
  fence.i
  CHECK t3, ADDI(A0, 0, 1)
  call fn_amo
  CHECK a0, 0x41

  CASE 11                       # fsw
  CALL_N fn_fsw, 10
  CHECK a0, 1
  la t1, fn_fsw
  li t2, ADDI(A0, 0, 0x42)
  fmv.w.x ft0, t2
  fsw ft0, 0(t1)
  fence.i
  call fn_fsw
  CHECK a0, 0x42

  CASE 12                       # c.sw
  CALL_N fn_csw, 10
  CHECK a0, 1
  la a2, fn_csw
  li a1, ADDI(A0, 0, 0x43)
  .option push
  .option rvc
  c.sw a1, 0(a2)
  .option pop
  fence.i
  call fn_csw
  CHECK a0, 0x43

  CASE 13                       # misaligned sd across the page boundary
  CALL_N fn_cross, 10
  CHECK a0, 0x21
  la t1, fn_cross
  li t2, (ADDI(A0, 0, 0x22) << 32) | 0xdead
  sd t2, -4(t1)
  fence.i
  call fn_cross
  CHECK a0, 0x22
  la t1, fn_cross
  lwu t2, -4(t1)
  CHECK t2, 0xdead

  CASE 14                       # code written to a page that never held code
  la t1, fresh_code
  li t2, (0x00008067 << 32) | ADDI(A0, 0, 0x66)   /* addi a0, zero, 0x66; ret */
  sd t2, 0(t1)
  fence.i
  jalr ra, 0(t1)
  CHECK a0, 0x66
  la t1, fresh_code
  li t2, ADDI(A0, 0, 0x77)
  sw t2, 0(t1)
  fence.i
  jalr ra, 0(t1)
  CHECK a0, 0x77

#ifndef RVX_QEMU
  CASE 15                       # cbo.zero over code (QEMU 7.2 lacks Zicboz)
  CALL_N fn_cbo, 10
  CHECK a0, 1
  la t1, fn_cbo
  cbo.zero (t1)
  fence.i
  EXPECT_MTRAP CAUSE_ILLEGAL, 3f
  call fn_cbo
  j rvx_fail
3:
  CHECK_MEPC_LABEL fn_cbo
  CHECK_MTVAL 0
#endif
  .option pop
RVX_TEST_END

  .text
  .option push
  .option norvc
  .balign 4096
smc_page:                       /* every function here gets patched */
fn1:
  addi a0, zero, 1
  ret
hot_loop:                       /* a1 += 1 (patched), s2 times */
hot_inc:
  addi a1, a1, 1
hot_nop:
  nop
  addi s2, s2, -1
  bnez s2, hot_loop
  ret
fn_half:
  addi a0, zero, 0x123
  ret
fn_split:
  addi a0, zero, 7
  ret
fn_byte:
  addi a0, zero, 0x11
  ret
fn_sd:
  addi a0, zero, 1
  addi a0, a0, 2
  ret
fn_amo:
  addi a0, zero, 1
  ret
fn_fsw:
  addi a0, zero, 1
  ret
fn_csw:
  addi a0, zero, 1
  ret
  .balign 64
fn_cbo:                         /* alone in its 64-byte cache block */
  addi a0, zero, 1
  ret
  .balign 64
  .balign 4096
fn_cross:                       /* first instruction of the next page */
  addi a0, zero, 0x21
  ret
  .option pop

  .data
  .balign 4096
fresh_code: .zero 4096
