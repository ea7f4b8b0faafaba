/* Entry for the rvx benchmarks (bare metal, M-mode, hart 0 only).
 * Both emulators enter at the ELF entry in M-mode with translation off; everything the C code
 * needs is set up here: gp, a stack, a trap vector, the FPU (mstatus.FS) and a zeroed .bss. */
#define MSTATUS_FS_INITIAL (1 << 13)   /* privileged spec 3.1.6.6: FS=1 (Initial) enables F/D */

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrr    t0, mhartid
    bnez    t0, park                /* only hart 0 runs the benchmark */
    la      sp, __stack_top
    la      t0, trap_entry
    csrw    mtvec, t0               /* direct mode: trap_entry is 4-byte aligned */
    li      t0, MSTATUS_FS_INITIAL
    csrs    mstatus, t0
    csrwi   fcsr, 0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    rt_main                 /* does not return */
park:
    wfi
    j       park

/* Any trap goes to C (rt_trap): during the exit sequence a fault from a missing poweroff
 * device is expected and just parks the hart; any other trap is a benchmark bug. */
    .align  2
trap_entry:
    andi    sp, sp, -16
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    rt_trap
    j       park

/* HTIF mailbox (riscv-tests convention), see link.ld. */
    .section .tohost, "aw", @progbits
    .align  6
    .globl  tohost
    .type   tohost, @object
    .size   tohost, 8
tohost:   .dword 0
    .align  6
    .globl  fromhost
    .type   fromhost, @object
    .size   fromhost, 8
fromhost: .dword 0
