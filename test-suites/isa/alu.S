# Integer ALU (RV64I): register and immediate forms, shifts, compares,
# lui/auipc and the W forms (32-bit result sign-extended to 64 bits,
# unprivileged spec 4.2), including wrap-around and shift-amount masking.
#include "rvx_test.h"
RVX_TEST_BEGIN
  TEST_RR 1, add, 5, 2, 3
  TEST_RR 2, add, 0x8000000000000000, 0x7fffffffffffffff, 1   # wraps
  TEST_RR 3, sub, -1, 0, 1
  TEST_RR 4, sub, 0x7fffffffffffffff, 0x8000000000000000, 1
  TEST_RR 5, and, 0x0f00, 0xff00, 0x0ff0
  TEST_RR 6, or,  0xfff0, 0xff00, 0x0ff0
  TEST_RR 7, xor, 0xf0f0, 0xff00, 0x0ff0
  TEST_RR 8, slt, 1, -1, 0
  TEST_RR 9, slt, 0, 0, -1
  TEST_RR 10, sltu, 0, -1, 0
  TEST_RR 11, sltu, 1, 0, -1
  TEST_RR 12, sll, 0x8000000000000000, 1, 63
  TEST_RR 13, sll, 2, 1, 65            # only rs2[5:0] is used
  TEST_RR 14, srl, 1, 0x8000000000000000, 63
  TEST_RR 15, sra, -1, 0x8000000000000000, 63
  TEST_RR 16, sra, 0xc000000000000000, 0x8000000000000000, 0x41
  TEST_RI 17, addi, -1, 0, -1
  TEST_RI 18, addi, 0x7ff, 0, 2047
  TEST_RI 19, addi, -2048, 0, -2048
  TEST_RI 20, andi, 0x0f0, 0xfff0, 0xff
  TEST_RI 21, andi, 0xfffffffffffffff0, -1, -16  # immediate sign-extended
  TEST_RI 22, ori, -1, 0, -1
  TEST_RI 23, xori, 0xfffffffffffff00f, 0xff0, -1
  TEST_RI 24, slti, 1, -5, -4
  TEST_RI 25, sltiu, 1, 5, -1                   # -1 compares as 2^64-1
  TEST_RI 26, sltiu, 0, -1, 5
  TEST_RI 27, slli, 0xffffffff00000000, 0xffffffff, 32
  TEST_RI 28, srli, 0x00000000ffffffff, -1, 32
  TEST_RI 29, srai, 0xffffffffffffffff, 0x8000000000000000, 63
  TEST_RI 30, srai, 0x0000000000000001, 0x4000000000000000, 62

  CASE 31
  lui a0, 0x80000                        # lui sign-extends bit 31
  CHECK a0, 0xffffffff80000000
  CASE 32
  lui a0, 0x7ffff
  CHECK a0, 0x7ffff000
  CASE 33
1: auipc a0, 1
  la a1, 1b
  sub a0, a0, a1
  CHECK a0, 0x1000
  CASE 34
2: auipc a0, 0xfffff                     # auipc with negative offset
  la a1, 2b
  sub a0, a0, a1
  CHECK a0, -0x1000

  # W forms
  TEST_RR 40, addw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RR 41, addw, 0, 0xffffffff, 1
  TEST_RR 42, addw, 3, 0x1234567800000001, 0x2
  TEST_RR 43, subw, 0x7fffffff, 0x80000000, 1
  TEST_RR 44, subw, -1, 0, 1
  TEST_RR 45, sllw, 0xffffffff80000000, 1, 31
  TEST_RR 46, sllw, 2, 1, 33              # only rs2[4:0] is used
  TEST_RR 47, srlw, 1, 0x80000000, 31
  TEST_RR 48, srlw, 0x7fffffff, 0xffffffffffffffff, 1
  TEST_RR 49, sraw, -1, 0x80000000, 31
  TEST_RR 50, sraw, 0xfffffffff8000000, 0x1234567880000000, 4
  TEST_RI 51, addiw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RI 52, addiw, -1, 0, -1
  TEST_RI 53, addiw, 0x12345678, 0xffffffff12345678, 0   # sext.w
  TEST_RI 54, slliw, 0xffffffff80000000, 1, 31
  TEST_RI 55, srliw, 0x7fffffff, -1, 1
  TEST_RI 56, srliw, 0xffffffff80000000, 0x80000000, 0
  TEST_RI 57, sraiw, 0xffffffffffffffff, 0x80000000, 31
  TEST_RI 58, sraiw, 0x00000000000000ff, 0x7fffffff, 23

  CASE 60                                # x0 stays zero
  li a1, 7
  add x0, a1, a1
  CHECK x0, 0
  CASE 61                                # rd == rs1 == rs2
  li a0, 21
  add a0, a0, a0
  CHECK a0, 42
RVX_TEST_END
