/* bytecode: a small stack-machine interpreter, the loop at the heart of every scripting
 * language. The dispatch switch compiles to a jump table, so each guest bytecode costs a few
 * loads, an indirect jump (jalr) and a handful of ALU operations. Two programs run: a sieve of
 * Eratosthenes over the VM's memory and a mixing loop with calls. */
#ifndef SCALE
#define SCALE 36
#endif
#include "rt.h"

enum op {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER,
    OP_LOAD, OP_STORE,   /* local variables */
    OP_MLOAD, OP_MSTORE, /* VM memory: addr on stack */
    OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_XOR, OP_SHL, OP_SHR, OP_LT, OP_EQ,
    OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
};

#define MEM_WORDS 8192
static int64_t vm_mem[MEM_WORDS];

static int64_t run(const int32_t *code)
{
    int64_t stack[64], locals[8] = { 0 };
    int32_t rstack[16];
    int sp = 0, rsp = 0, pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        switch (op) {
        case OP_HALT: return sp ? stack[sp - 1] : 0;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case OP_LOAD: stack[sp++] = locals[code[pc++] & 7]; break;
        case OP_STORE: locals[code[pc++] & 7] = stack[--sp]; break;
        case OP_MLOAD: stack[sp - 1] = vm_mem[stack[sp - 1] & (MEM_WORDS - 1)]; break;
        case OP_MSTORE: /* ( value addr -- ) */
            vm_mem[stack[sp - 1] & (MEM_WORDS - 1)] = stack[sp - 2];
            sp -= 2;
            break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] << (stack[sp] & 63)); break;
        case OP_SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_CALL: rstack[rsp++ & 15] = pc + 1; pc = code[pc]; break;
        case OP_RET: pc = rstack[--rsp & 15]; break;
        default: return -1; /* bad bytecode */
        }
        /* Keep a buggy program from running off the stacks. */
        sp &= 63;
    }
}

/* Sieve of Eratosthenes below N; returns the number of primes.
 *   for i in 2..N: mem[i] = 1
 *   count = 0
 *   for i in 2..N: if mem[i]: count++; for j = i*i; j < N; j += i: mem[j] = 0 */
#define SIEVE_N 8000
#define EMIT(x) (code[n++] = (x))
static int32_t sieve_prog[128];
static int32_t mix_prog[128];

static void build_sieve(void)
{
    int32_t *code = sieve_prog;
    int n = 0;
    EMIT(OP_PUSH); EMIT(2); EMIT(OP_STORE); EMIT(0);          /* i = 2 */
    int fill = n;
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(SIEVE_N); EMIT(OP_LT);
    EMIT(OP_JZ); int fill_end = n; EMIT(0);
    EMIT(OP_PUSH); EMIT(1); EMIT(OP_LOAD); EMIT(0); EMIT(OP_MSTORE); /* mem[i] = 1 */
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(1); EMIT(OP_ADD); EMIT(OP_STORE); EMIT(0);
    EMIT(OP_JMP); EMIT(fill);
    code[fill_end] = n;
    EMIT(OP_PUSH); EMIT(0); EMIT(OP_STORE); EMIT(1);          /* count = 0 */
    EMIT(OP_PUSH); EMIT(2); EMIT(OP_STORE); EMIT(0);          /* i = 2 */
    int outer = n;
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(SIEVE_N); EMIT(OP_LT);
    EMIT(OP_JZ); int outer_end = n; EMIT(0);
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_MLOAD);
    EMIT(OP_JZ); int next = n; EMIT(0);                        /* composite: skip */
    EMIT(OP_LOAD); EMIT(1); EMIT(OP_PUSH); EMIT(1); EMIT(OP_ADD); EMIT(OP_STORE); EMIT(1);
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_DUP); EMIT(OP_MUL); EMIT(OP_STORE); EMIT(2); /* j = i*i */
    int inner = n;
    EMIT(OP_LOAD); EMIT(2); EMIT(OP_PUSH); EMIT(SIEVE_N); EMIT(OP_LT);
    EMIT(OP_JZ); int inner_end = n; EMIT(0);
    EMIT(OP_PUSH); EMIT(0); EMIT(OP_LOAD); EMIT(2); EMIT(OP_MSTORE); /* mem[j] = 0 */
    EMIT(OP_LOAD); EMIT(2); EMIT(OP_LOAD); EMIT(0); EMIT(OP_ADD); EMIT(OP_STORE); EMIT(2);
    EMIT(OP_JMP); EMIT(inner);
    code[inner_end] = n;
    code[next] = n;
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(1); EMIT(OP_ADD); EMIT(OP_STORE); EMIT(0);
    EMIT(OP_JMP); EMIT(outer);
    code[outer_end] = n;
    EMIT(OP_LOAD); EMIT(1); EMIT(OP_HALT);
}

/* h = 0; for i in 0..ITER: h = mix(h, i) with mix a called subroutine:
 *   mix: ( h i -- h' )  h' = ((h ^ i) * 0x2f) ^ ((h ^ i) >> 7) & 0xffffffffff */
#define MIX_ITER 20000
static void build_mix(void)
{
    int32_t *code = mix_prog;
    int n = 0;
    EMIT(OP_PUSH); EMIT(0); EMIT(OP_STORE); EMIT(0);          /* i = 0 */
    EMIT(OP_PUSH); EMIT(12345);                               /* h on the stack */
    int loop = n;
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(MIX_ITER); EMIT(OP_LT);
    EMIT(OP_JZ); int done = n; EMIT(0);
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_CALL); int call = n; EMIT(0);
    EMIT(OP_LOAD); EMIT(0); EMIT(OP_PUSH); EMIT(1); EMIT(OP_ADD); EMIT(OP_STORE); EMIT(0);
    EMIT(OP_JMP); EMIT(loop);
    code[done] = n;
    EMIT(OP_HALT);
    code[call] = n;                                           /* mix: */
    EMIT(OP_XOR); EMIT(OP_DUP); EMIT(OP_PUSH); EMIT(0x2f); EMIT(OP_MUL);
    EMIT(OP_SWAP); EMIT(OP_PUSH); EMIT(7); EMIT(OP_SHR); EMIT(OP_XOR);
    EMIT(OP_PUSH); EMIT(1); EMIT(OP_PUSH); EMIT(40); EMIT(OP_SHL); EMIT(OP_PUSH); EMIT(1);
    EMIT(OP_SUB); EMIT(OP_AND);
    EMIT(OP_RET);
}

uint64_t bench_round(void)
{
    build_sieve();
    build_mix();
    uint64_t h = 0;
    h = rt_mix(h, (uint64_t)run(sieve_prog));
    h = rt_mix(h, (uint64_t)run(mix_prog));
    return h;
}

BENCH_DEFINE("bytecode", 0xcd94beeda19ff216ull);
