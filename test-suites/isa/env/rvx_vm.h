/* Page-table helpers for the rvx ISA tests (privileged spec 4.3-4.6).
 * Page tables live in the test's .data as 4 KiB-aligned zeroed pages
 * (PT_PAGE name). All PTEs are built at run time from physical addresses. */
#ifndef RVX_VM_H
#define RVX_VM_H

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define PTE_RWX_AD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define SATP_BARE 0
#define SATP_SV39 8
#define SATP_SV48 9
#define SATP_SV57 10

/* A zeroed, 4 KiB-aligned page (a page table or a data page). */
.macro PT_PAGE name
  .balign 4096
\name: .zero 4096
.endm

/* table[index] = leaf PTE for physical address in pa_reg with `flags`.
 * Clobbers t0..t2. */
.macro PTE_LEAF table, index, pa_reg, flags
  la t0, \table
  li t1, (\index) * 8
  add t0, t0, t1
  srli t1, \pa_reg, 12
  slli t1, t1, 10
  li t2, \flags
  or t1, t1, t2
  sd t1, 0(t0)
.endm

/* Same with a constant physical address (clobbers t0..t3). */
.macro PTE_LEAF_PA table, index, pa, flags
  li t3, \pa
  PTE_LEAF \table, \index, t3, \flags
.endm

/* Same with the physical address of a label (clobbers t0..t3). */
.macro PTE_LEAF_SYM table, index, sym, flags
  la t3, \sym
  PTE_LEAF \table, \index, t3, \flags
.endm

/* table[index] = pointer to the next-level table `next`. */
.macro PTE_NEXT table, index, next
  PTE_LEAF_SYM \table, \index, \next, PTE_V
.endm

/* satp = mode | root PPN, then sfence.vma (clobbers t0, t1). */
.macro SATP_SET mode, root
  la t0, \root
  srli t0, t0, 12
  li t1, (\mode) << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
.endm

/* reg = address of PTE table[index] (to read back A/D). */
.macro PTE_ADDR reg, table, index
  la \reg, \table
  addi \reg, \reg, (\index) * 8
.endm

#endif
