# Access faults from physical addresses where nothing is mapped: fetch
# (cause 1), load (cause 5) and store (cause 7), with mtval = the address
# (privileged spec 3.1.16). 0x0 is unmapped on both the QEMU virt and
# spike boards; 1 << 40 is beyond RAM and any device on either.
#include "rvx_test.h"

#ifdef RVX_QEMU
/* QEMU 7.2 reports a faulting AMO as a load access fault (cause 5); the
 * spec (privileged 3.1.15) says store/AMO access fault (cause 7). */
#define AMO_ACCESS_CAUSE CAUSE_LOAD_ACCESS
#else
#define AMO_ACCESS_CAUSE CAUSE_STORE_ACCESS
#endif
RVX_TEST_BEGIN
  CASE 1                        # fetch from 0: mepc = mtval = 0
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 1f
  li a1, 0
  jalr ra, 0(a1)
  j rvx_fail
1:
  CHECK_MTVAL 0
  GET_MTRAP a0, TR_EPC
  CHECK a0, 0
  CASE 2                        # fetch far beyond RAM
  EXPECT_MTRAP CAUSE_FETCH_ACCESS, 2f
  li a1, 1 << 40
  jr a1
  j rvx_fail
2:
  CHECK_MTVAL 1 << 40
  CASE 3                        # load from 0x8
  EXPECT_MTRAP CAUSE_LOAD_ACCESS, 3f
  li a1, 8
a_load:
  ld a0, 0(a1)
  j rvx_fail
3:
  CHECK_MTVAL 8
  CHECK_MEPC_LABEL a_load
  CASE 4                        # byte load beyond RAM
  EXPECT_MTRAP CAUSE_LOAD_ACCESS, 4f
  li a1, (1 << 40) + 3
  lbu a0, 0(a1)
  j rvx_fail
4:
  CHECK_MTVAL (1 << 40) + 3
  CASE 5                        # store to 0x10
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 5f
  li a1, 0x10
a_store:
  sw a0, 0(a1)
  j rvx_fail
5:
  CHECK_MTVAL 0x10
  CHECK_MEPC_LABEL a_store
  CASE 6                        # store beyond RAM
  EXPECT_MTRAP CAUSE_STORE_ACCESS, 6f
  li a1, 1 << 40
  sd a0, 8(a1)
  j rvx_fail
6:
  CHECK_MTVAL (1 << 40) + 8
  CASE 7                        # an AMO to unmapped memory is a store/AMO fault
  EXPECT_MTRAP AMO_ACCESS_CAUSE, 7f
  li a1, 0x20
  amoadd.d a0, a0, (a1)
  j rvx_fail
7:
  CHECK_MTVAL 0x20
  CASE 8                        # the same in U-mode
  EXPECT_MTRAP CAUSE_LOAD_ACCESS, 8f
  GOTO_MODE PRV_U, u_load
u_load:
  li a1, 0x18
  lw a0, 0(a1)
  j rvx_fail
8:
  CHECK_MTVAL 0x18
RVX_TEST_END
