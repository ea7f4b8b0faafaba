/* rvx ISA test environment (written for rvx; not derived from riscv-tests).
 *
 * A test is one .S file:
 *
 *     #include "rvx_test.h"
 *     RVX_TEST_BEGIN
 *         CASE 1
 *         li a0, 2; addi a0, a0, 3
 *         CHECK a0, 5
 *         ...
 *     RVX_TEST_END
 *
 * The hart starts in M-mode at _start. RVX_TEST_BEGIN installs the trap
 * handlers, opens PMP entry 0 over all memory (so S/U-mode may run), sets
 * mstatus.FS = Initial and leaves paging, delegation and interrupts off.
 * Falling off the end of the test (RVX_TEST_END) passes: the line
 * "rvx-test: PASS" is printed on the HTIF console, then 1 is written to
 * tohost. Any failed check writes (case << 1) | 1, so the exit status of the
 * emulator is the failing case number (cases are 1..255; a failure before the
 * first CASE reports 255).
 *
 * Reserved registers: s11 (the current case number) and t6 (the checks use
 * it). EXPECT_* clobber t0 and t1. The trap handlers preserve every other
 * register.
 *
 * Traps: a test announces the trap it is about to cause with
 *     EXPECT_MTRAP cause, resume_label
 * The M-mode handler then checks mcause == cause, records mcause, mtval, mepc
 * and mstatus (as they were on entry), and returns with mret to resume_label
 * in M-mode with MPIE cleared (so a pending interrupt does not fire again).
 * A failed CHECK prints the value and the expectation on the HTIF console
 * (device 1, command 1) before failing.
 * Any trap that was not announced, or has another cause, prints a line on
 * the HTIF console and fails the current case. EXPECT_STRAP is the same for
 * traps delegated to S-mode: the S-mode handler (stvec) resumes in S-mode
 * with sret, SPIE cleared.
 *
 * Built with -DRVX_QEMU_VIRT (check-qemu.sh does that for tests marked
 * QEMU-VIRT) the test also reports through the sifive_test device and the
 * UART of QEMU's virt board, for features QEMU's spike board lacks.
 *
 * Self-check: assembling with -DRVX_FLIP=n inverts every expectation made
 * inside case n (a CHECK compares against exp ^ 1, an expected trap cause
 * gets bit 0 flipped), so a correct emulator must exit with status n.
 * test-suites/isa/check-qemu.sh --mutate uses that to prove each case can fail.
 */
#ifndef RVX_TEST_H
#define RVX_TEST_H

#ifndef RVX_FLIP
#define RVX_FLIP 0
#endif

#define TESTNUM s11

/* mstatus fields (privileged spec 3.1.6) */
#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_UBE   (1 << 6)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_FS_OFF     (0 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN   (2 << 13)
#define MSTATUS_FS_DIRTY   (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)
#define MSTATUS_SD    (1 << 63)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* mcause values (privileged spec 3.1.15, table 3.6) */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE        13
#define CAUSE_STORE_PAGE       15
#define CAUSE_IRQ              (1 << 63)
#define IRQ_S_SOFT   1
#define IRQ_M_SOFT   3
#define IRQ_S_TIMER  5
#define IRQ_M_TIMER  7
#define IRQ_S_EXT    9
#define IRQ_M_EXT    11

/* CLINT of the QEMU virt (and spike) board */
#define CLINT_BASE     0x2000000
#define CLINT_MSIP     (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)

/* Layout of the per-mode trap record (rvx_mdata / rvx_sdata). */
#define TR_SAVE0   0
#define TR_SAVE1   8
#define TR_SAVE2   16
#define TR_SAVE3   24
#define TR_EXPECT  32
#define TR_RESUME  40
#define TR_CAUSE   48
#define TR_TVAL    56
#define TR_EPC     64
#define TR_STATUS  72
#define TR_COUNT   80
#define TR_SIZE    128

/* Open case n: later checks report n on failure. */
.macro CASE n
  .set .Lrvx_case, \n
  .pushsection .rvx_cases, "", @progbits
  .byte \n
  .popsection
  li TESTNUM, \n
.endm

/* The value a check in the current case compares against (flipped under RVX_FLIP). */
.macro RVX_EXPECTED_T6 exp
  li t6, \exp
  .if .Lrvx_case == RVX_FLIP
  xori t6, t6, 1
  .endif
.endm

/* Fail unless register reg == exp (exp: any constant li accepts). */
.macro CHECK reg, exp
  RVX_EXPECTED_T6 \exp
  beq \reg, t6, .Lrvx_ok\@
  mv t5, \reg
  j rvx_fail_check
.Lrvx_ok\@:
.endm

/* Fail unless register a == register b. */
.macro CHECKR a, b
  mv t6, \b
  .if .Lrvx_case == RVX_FLIP
  xori t6, t6, 1
  .endif
  beq \a, t6, .Lrvx_ok\@
  mv t5, \a
  j rvx_fail_check
.Lrvx_ok\@:
.endm

/* rd = insn(v1, v2), checked against exp; uses a0..a2. */
.macro TEST_RR n, insn, exp, v1, v2
  CASE \n
  li a1, \v1
  li a2, \v2
  \insn a0, a1, a2
  CHECK a0, \exp
.endm

/* rd = insn(v1, imm) */
.macro TEST_RI n, insn, exp, v1, imm
  CASE \n
  li a1, \v1
  \insn a0, a1, \imm
  CHECK a0, \exp
.endm

/* rd = insn(v1) */
.macro TEST_R n, insn, exp, v1
  CASE \n
  li a1, \v1
  \insn a0, a1
  CHECK a0, \exp
.endm

/* Read fflags into t5, clear them, and check the old value. */
.macro CHECK_FFLAGS exp
  csrrci t5, fflags, 0x1f
  CHECK t5, \exp
.endm

/* Announce a trap taken in M-mode; the handler resumes at `resume` in M-mode. */
.macro EXPECT_MTRAP cause, resume
  la t0, rvx_mdata
  li t1, \cause
  .if .Lrvx_case == RVX_FLIP
  xori t1, t1, 1
  .endif
  sd t1, TR_EXPECT(t0)
  la t1, \resume
  sd t1, TR_RESUME(t0)
.endm

/* Same with the resume address in a register (e.g. a virtual alias). */
.macro EXPECT_MTRAP_REG cause, resume_reg
  la t0, rvx_mdata
  sd \resume_reg, TR_RESUME(t0)
  li t1, \cause
  .if .Lrvx_case == RVX_FLIP
  xori t1, t1, 1
  .endif
  sd t1, TR_EXPECT(t0)
.endm

/* Announce a trap delegated to S-mode; resumes at `resume` in S-mode. */
.macro EXPECT_STRAP cause, resume
  la t0, rvx_sdata
  li t1, \cause
  .if .Lrvx_case == RVX_FLIP
  xori t1, t1, 1
  .endif
  sd t1, TR_EXPECT(t0)
  la t1, \resume
  sd t1, TR_RESUME(t0)
.endm

/* Load what the last M-mode / S-mode trap recorded. */
.macro GET_MTRAP reg, field
  la \reg, rvx_mdata
  ld \reg, \field(\reg)
.endm
.macro GET_STRAP reg, field
  la \reg, rvx_sdata
  ld \reg, \field(\reg)
.endm

/* Checks on the last M-mode trap: tval against a constant or a label. */
.macro CHECK_MTVAL exp
  GET_MTRAP t5, TR_TVAL
  CHECK t5, \exp
.endm
.macro CHECK_MTVAL_LABEL label
  GET_MTRAP t5, TR_TVAL
  la t4, \label
  CHECKR t5, t4
.endm
.macro CHECK_MEPC_LABEL label
  GET_MTRAP t5, TR_EPC
  la t4, \label
  CHECKR t5, t4
.endm
.macro CHECK_STVAL exp
  GET_STRAP t5, TR_TVAL
  CHECK t5, \exp
.endm
.macro CHECK_SEPC_LABEL label
  GET_STRAP t5, TR_EPC
  la t4, \label
  CHECKR t5, t4
.endm

/* mtval must hold the instruction bits at `label` (32-bit / 16-bit). */
.macro CHECK_MTVAL_INSN label
  GET_MTRAP t5, TR_TVAL
  la t4, \label
  lwu t4, 0(t4)
  CHECKR t5, t4
.endm
.macro CHECK_MTVAL_INSN16 label
  GET_MTRAP t5, TR_TVAL
  la t4, \label
  lhu t4, 0(t4)
  CHECKR t5, t4
.endm

/* Switch from M-mode to privilege `mode` at `label` with mret (clobbers t0). */
.macro GOTO_MODE mode, label
  la t0, \label
  GOTO_MODE_REG \mode, t0
.endm
.macro GOTO_MODE_REG mode, reg
  csrw mepc, \reg
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (\mode) << 11
  csrs mstatus, t0
  mret
.endm

/* From any mode: ecall, expected to reach the M-mode handler (no delegation),
 * continuing at `label` in M-mode. */
.macro RETURN_TO_M cause, label
  EXPECT_MTRAP \cause, \label
  ecall
  j rvx_fail
.endm

.macro RVX_TEST_BEGIN
  .section .text.init, "ax", @progbits
  .globl _start
  .option push
  .option norvc
_start:
  li TESTNUM, 0
  .set .Lrvx_case, 0
  la t0, rvx_mtrap
  csrw mtvec, t0
  la t0, rvx_mdata
  csrw mscratch, t0
  la t0, rvx_strap
  csrw stvec, t0
  la t0, rvx_sdata
  csrw sscratch, t0
  csrw satp, zero
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  csrw mip, zero
  /* PMP entry 0: NAPOT over the whole address space, RWX, so that S and U
   * mode can run (privileged spec 3.7: with PMP implemented, an S/U access
   * that matches no entry fails). */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, MSTATUS_FS_INITIAL
  csrw mstatus, t0
  csrw fcsr, zero
  la sp, rvx_stack_top
  j rvx_test_body
  .option pop

  .text
rvx_test_body:
.endm

.macro RVX_TEST_END
  j rvx_pass

  .text
  .balign 4
rvx_pass:
  /* The pass line lets a runner tell a real pass from an emulator that
   * exits 0 without running the guest. */
  la a0, rvx_str_pass
  jal rvx_puts
  fence
#ifdef RVX_QEMU_VIRT
  li t0, 0x5555                 /* sifive_test "pass" (QEMU virt only) */
  li t1, 0x100000
  sw t0, 0(t1)
#endif
  li t0, 1
  la t1, tohost
  sd t0, 0(t1)
1:
  j 1b

rvx_fail:
  fence
  mv t0, TESTNUM
  bnez t0, 2f
  li t0, 255
2:
#ifdef RVX_QEMU_VIRT
  slli t2, t0, 16               /* sifive_test "fail" with exit code */
  li t1, 0x3333
  or t2, t2, t1
  li t1, 0x100000
  sw t2, 0(t1)
#endif
  slli t0, t0, 1
  ori t0, t0, 1
  la t1, tohost
  sd t0, 0(t1)
3:
  j 3b

/* A CHECK failed: print the value (t5) and the expectation (t6). */
rvx_fail_check:
  la a0, rvx_str_check
  jal rvx_puts
  mv a0, TESTNUM
  jal rvx_puthex
  la a0, rvx_str_got
  jal rvx_puts
  mv a0, t5
  jal rvx_puthex
  la a0, rvx_str_want
  jal rvx_puts
  mv a0, t6
  jal rvx_puthex
  li a0, 10
  jal rvx_putc
  j rvx_fail

/* M-mode trap handler (direct mode). mscratch holds &rvx_mdata. */
  .balign 64
  .globl rvx_mtrap
rvx_mtrap:
  csrrw sp, mscratch, sp
  sd t0, TR_SAVE0(sp)
  sd t1, TR_SAVE1(sp)
  sd t2, TR_SAVE2(sp)
  sd t3, TR_SAVE3(sp)
  csrr t0, mcause
  sd t0, TR_CAUSE(sp)
  csrr t1, mtval
  sd t1, TR_TVAL(sp)
  csrr t1, mepc
  sd t1, TR_EPC(sp)
  csrr t1, mstatus
  sd t1, TR_STATUS(sp)
  ld t1, TR_COUNT(sp)
  addi t1, t1, 1
  sd t1, TR_COUNT(sp)
  ld t1, TR_RESUME(sp)
  beqz t1, rvx_mtrap_unexpected
  ld t2, TR_EXPECT(sp)
  bne t0, t2, rvx_mtrap_unexpected
  sd zero, TR_RESUME(sp)
  csrw mepc, t1
  li t1, MSTATUS_MPP
  csrs mstatus, t1
  li t1, MSTATUS_MPIE
  csrc mstatus, t1
  ld t0, TR_SAVE0(sp)
  ld t1, TR_SAVE1(sp)
  ld t2, TR_SAVE2(sp)
  ld t3, TR_SAVE3(sp)
  csrrw sp, mscratch, sp
  mret

rvx_mtrap_unexpected:
  /* Leave M-mode data accesses untranslated while reporting. */
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  la a0, rvx_str_mtrap
  jal rvx_puts
  csrr a0, mcause
  jal rvx_puthex
  la a0, rvx_str_epc
  jal rvx_puts
  csrr a0, mepc
  jal rvx_puthex
  la a0, rvx_str_tval
  jal rvx_puts
  csrr a0, mtval
  jal rvx_puthex
  la a0, rvx_str_case
  jal rvx_puts
  mv a0, TESTNUM
  jal rvx_puthex
  li a0, 10
  jal rvx_putc
  j rvx_fail

/* S-mode trap handler. sscratch holds &rvx_sdata (identity mapped when
 * paging is on). */
  .balign 64
  .globl rvx_strap
rvx_strap:
  csrrw sp, sscratch, sp
  sd t0, TR_SAVE0(sp)
  sd t1, TR_SAVE1(sp)
  sd t2, TR_SAVE2(sp)
  sd t3, TR_SAVE3(sp)
  csrr t0, scause
  sd t0, TR_CAUSE(sp)
  csrr t1, stval
  sd t1, TR_TVAL(sp)
  csrr t1, sepc
  sd t1, TR_EPC(sp)
  csrr t1, sstatus
  sd t1, TR_STATUS(sp)
  ld t1, TR_COUNT(sp)
  addi t1, t1, 1
  sd t1, TR_COUNT(sp)
  ld t1, TR_RESUME(sp)
  beqz t1, rvx_strap_unexpected
  ld t2, TR_EXPECT(sp)
  bne t0, t2, rvx_strap_unexpected
  sd zero, TR_RESUME(sp)
  csrw sepc, t1
  li t1, MSTATUS_SPP
  csrs sstatus, t1
  li t1, MSTATUS_SPIE
  csrc sstatus, t1
  ld t0, TR_SAVE0(sp)
  ld t1, TR_SAVE1(sp)
  ld t2, TR_SAVE2(sp)
  ld t3, TR_SAVE3(sp)
  csrrw sp, sscratch, sp
  sret

rvx_strap_unexpected:
  /* No console from S-mode (tohost may be unmapped): fail directly. */
  j rvx_fail

/* HTIF console output (device 1, command 1). Waits a bounded time for the
 * host to acknowledge by clearing tohost. Clobbers t0..t3. */
rvx_putc:
#ifdef RVX_QEMU_VIRT
  li t0, 0x10000000             /* NS16550 THR on QEMU virt */
  sb a0, 0(t0)
  ret
#endif
  li t0, 0x0101000000000000
  andi a0, a0, 0xff
  or t0, t0, a0
  la t1, tohost
  sd t0, 0(t1)
  li t2, 100000
4:
  ld t3, 0(t1)
  beqz t3, 5f
  addi t2, t2, -1
  bnez t2, 4b
5:
  la t1, fromhost
  sd zero, 0(t1)
  ret

/* Print the NUL-terminated string at a0. Clobbers a0, a1, a2, t0..t3. */
rvx_puts:
  mv a2, ra
  mv a1, a0
6:
  lbu a0, 0(a1)
  beqz a0, 7f
  jal rvx_putc
  addi a1, a1, 1
  j 6b
7:
  mv ra, a2
  ret

/* Print a0 as 16 hex digits. Clobbers a0..a3, t0..t3. */
rvx_puthex:
  mv a2, ra
  mv a1, a0
  li a3, 60
8:
  srl a0, a1, a3
  andi a0, a0, 15
  addi a0, a0, 48
  li t0, 58
  blt a0, t0, 9f
  addi a0, a0, 39
9:
  jal rvx_putc
  addi a3, a3, -4
  bgez a3, 8b
  mv ra, a2
  ret

  .section .rodata
rvx_str_mtrap: .string "rvx-test: unexpected trap mcause="
rvx_str_epc:   .string " mepc="
rvx_str_tval:  .string " mtval="
rvx_str_case:  .string " case="
rvx_str_pass:  .string "rvx-test: PASS\n"
rvx_str_check: .string "rvx-test: check failed in case "
rvx_str_got:   .string ": got "
rvx_str_want:  .string " expected "

  .section .tohost, "aw", @progbits
  .balign 4096
  .globl tohost
tohost: .dword 0
  .size tohost, 8
  .balign 64
  .globl fromhost
fromhost: .dword 0
  .size fromhost, 8
  .balign 4096

  .data
  .balign 64
  .globl rvx_mdata
rvx_mdata: .zero TR_SIZE
  .globl rvx_sdata
rvx_sdata: .zero TR_SIZE
  .balign 16
rvx_stack: .zero 4096
rvx_stack_top:
.endm

#endif
