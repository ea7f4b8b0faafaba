# Loads and stores of every width: sign/zero extension, little-endian byte
# order, negative offsets, and misaligned accesses, which rvx (like QEMU)
# performs in hardware without trapping (unprivileged spec 2.6 allows either).
#include "rvx_test.h"
RVX_TEST_BEGIN
  la s0, src
  CASE 1
  lb a0, 0(s0)
  CHECK a0, 0xfffffffffffffff8
  CASE 2
  lbu a0, 0(s0)
  CHECK a0, 0xf8
  CASE 3
  lh a0, 6(s0)
  CHECK a0, 0xffffffffffff8081
  CASE 4
  lhu a0, 6(s0)
  CHECK a0, 0x8081
  CASE 5
  lw a0, 4(s0)
  CHECK a0, 0xffffffff8081a2b3
  CASE 6
  lwu a0, 4(s0)
  CHECK a0, 0x8081a2b3
  CASE 7
  ld a0, 0(s0)
  CHECK a0, 0x8081a2b3c4d5e6f8
  CASE 8
  lw a0, 0(s0)
  CHECK a0, 0xffffffffc4d5e6f8
  CASE 9                        # negative offset
  addi a1, s0, 8
  lw a0, -8(a1)
  CHECK a0, 0xffffffffc4d5e6f8
  CASE 10
  lb a0, 1(s0)
  CHECK a0, 0xffffffffffffffe6
  CASE 11
  lb a0, 8(s0)
  CHECK a0, 0x11

  la s1, dst
  CASE 20                       # sb writes one byte only
  li a0, -1
  sd a0, 0(s1)
  li a0, 0x1234
  sb a0, 3(s1)
  ld a1, 0(s1)
  CHECK a1, 0xffffffff34ffffff
  CASE 21
  li a0, 0xabcd1234
  sh a0, 4(s1)
  ld a1, 0(s1)
  CHECK a1, 0xffff123434ffffff
  CASE 22
  li a0, 0x1122334455667788
  sw a0, 0(s1)
  ld a1, 0(s1)
  CHECK a1, 0xffff123455667788
  CASE 23
  sd a0, 0(s1)
  ld a1, 0(s1)
  CHECK a1, 0x1122334455667788
  CASE 24                       # byte order
  lbu a1, 0(s1)
  CHECK a1, 0x88
  CASE 25
  lbu a1, 7(s1)
  CHECK a1, 0x11

  # Misaligned loads: no trap, the same bytes as aligned ones would give.
  CASE 30
  lh a0, 1(s0)
  CHECK a0, 0xffffffffffffd5e6
  CASE 31
  lhu a0, 7(s0)
  CHECK a0, 0x1180
  CASE 32
  lw a0, 3(s0)
  CHECK a0, 0xffffffff81a2b3c4
  CASE 33
  lwu a0, 5(s0)
  CHECK a0, 0x118081a2
  CASE 34
  ld a0, 1(s0)
  CHECK a0, 0x118081a2b3c4d5e6
  CASE 35
  ld a0, 7(s0)
  CHECK a0, 0x6655443322111180

  # Misaligned stores.
  CASE 40
  sd zero, 0(s1)
  sd zero, 8(s1)
  li a0, 0x0102030405060708
  sd a0, 3(s1)
  ld a1, 0(s1)
  CHECK a1, 0x0405060708000000
  CASE 41
  ld a1, 8(s1)
  CHECK a1, 0x0000000000010203
  CASE 42
  li a0, 0xaabbccdd
  sw a0, 6(s1)
  ld a1, 0(s1)
  CHECK a1, 0xccdd060708000000
  CASE 43
  ld a1, 8(s1)
  CHECK a1, 0x000000000001aabb
  CASE 44
  li a0, 0xeeff
  sh a0, 15(s1)
  ld a1, 8(s1)
  CHECK a1, 0xff0000000001aabb
  lbu a1, 16(s1)
  CHECK a1, 0xee

  # Misaligned across a page boundary.
  CASE 50
  la s2, page2
  li a0, 0x8877665544332211
  sd a0, -3(s2)
  ld a1, -3(s2)
  CHECK a1, 0x8877665544332211
  CASE 51
  lw a1, -2(s2)
  CHECK a1, 0x55443322
  CASE 52
  lbu a1, 0(s2)
  CHECK a1, 0x44
RVX_TEST_END

  .data
  .balign 8
src: .dword 0x8081a2b3c4d5e6f8, 0x7766554433221111
dst: .dword 0, 0, 0
  .balign 4096
page1: .zero 4096
page2: .zero 64
