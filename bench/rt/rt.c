/* Runtime for the rvx benchmarks on an emulated QEMU-virt-like board (M-mode, bare metal).
 *
 * Output: the NS16550 UART at 0x10000000, which both rvx and QEMU's virt board have.
 *
 * Exit: one binary must end on both emulators, and they share no exit device:
 *   - rvx maps an HTIF device over the ELF's `tohost` symbol; writing (code << 1) | 1 ends the
 *     run with exit status `code`. On QEMU's virt board `tohost` is plain RAM, so the write is
 *     harmless.
 *   - QEMU's virt board has a SiFive test device ("syscon") at 0x100000: 0x5555 powers off with
 *     status 0, (code << 16) | 0x3333 exits with status `code`. rvx may not map anything there
 *     yet; the store then takes an access fault, and the trap handler parks the hart while rvx
 *     finishes the HTIF exit it has already been asked for.
 * So rt_exit writes tohost first, waits a moment, then writes the test device. Both emulators
 * run the identical ELF, which is what makes the wall times comparable. */
#include "rt.h"

#define UART_BASE 0x10000000ul
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define SIFIVE_TEST_BASE 0x100000ul
#define SIFIVE_TEST_PASS 0x5555u
#define SIFIVE_TEST_FAIL 0x3333u

extern volatile uint64_t tohost;
static volatile int rt_exiting;
static volatile int rt_in_trap;

static void rt_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    /* Bounded wait: a UART model that never reports THRE must not hang the benchmark. */
    for (int i = 0; i < 100000 && !(uart[UART_LSR] & UART_LSR_THRE); i++) {
    }
    uart[UART_THR] = (uint8_t)c;
}

static void rt_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            rt_putc('\r');
        rt_putc(*s++);
    }
}

static void rt_put_u64(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_puts(&buf[i]);
}

static void rt_put_hex(uint64_t v)
{
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    rt_puts(buf);
}

static inline uint64_t rt_minstret(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

__attribute__((noreturn)) static void rt_exit(unsigned code)
{
    rt_exiting = 1;
    __asm__ volatile("fence" ::: "memory");
    tohost = ((uint64_t)code << 1) | 1;
    /* Give an HTIF implementation that polls between blocks time to stop us. */
    for (volatile int i = 0; i < 1000; i++) {
    }
    volatile uint32_t *test = (volatile uint32_t *)SIFIVE_TEST_BASE;
    *test = code == 0 ? SIFIVE_TEST_PASS : (code << 16) | SIFIVE_TEST_FAIL;
    for (;;)
        __asm__ volatile("wfi");
}

void rt_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval)
{
    if (rt_exiting)
        return; /* crt0 parks the hart */
    if (rt_in_trap)
        rt_exit(4); /* trapped while reporting a trap (no UART?): exit without a message */
    rt_in_trap = 1;
    rt_puts("\nrvx-bench: unexpected trap mcause=");
    rt_put_hex(mcause);
    rt_puts(" mepc=");
    rt_put_hex(mepc);
    rt_puts(" mtval=");
    rt_put_hex(mtval);
    rt_puts("\n");
    rt_exit(3);
}

__attribute__((noreturn)) void rt_main(void)
{
    uint64_t sum = 0;
    unsigned bad = 0;
    for (unsigned r = 0; r < bench_rounds; r++) {
        sum = bench_round();
        if (sum != bench_expected)
            bad++;
    }
    /* minstret counts from reset (0), so this is the whole run up to here. On rvx it is the
     * exact retired-instruction count; on QEMU without -icount it is not an instruction count. */
    uint64_t instret = rt_minstret();
    rt_puts("rvx-bench ");
    rt_puts(bench_name);
    rt_puts(" rounds=");
    rt_put_u64(bench_rounds);
    rt_puts(" checksum=");
    rt_put_hex(sum);
    rt_puts(" instret=");
    rt_put_u64(instret);
    rt_puts(bad ? " FAIL\n" : " PASS\n");
    rt_exit(bad ? 1 : 0);
}
