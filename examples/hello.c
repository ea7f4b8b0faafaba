/* A bare-metal RISC-V program using picolibc's semihosting I/O: rvx prints what it writes to
 * stdout and exits with its return code, as QEMU does with -semihosting. */
#include <stdio.h>

int main(void)
{
    unsigned long x = 1;
    for (int i = 0; i < 20; i++)
        x *= 3;
    printf("hello from RISC-V: 3^20 = %lu\n", x);
    return x == 3486784401UL ? 0 : 1;
}
