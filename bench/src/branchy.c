/* branchy: data-dependent control flow. Quicksort with an insertion-sort cutoff, binary
 * searches, a character-class state machine (a switch) and Collatz sequences: many short
 * blocks ending in hard-to-predict conditional branches, calls and returns. */
#ifndef SCALE
#define SCALE 350
#endif
#include "rt.h"

#define N 4096

static uint32_t arr[N];
static char text[N];

static void insertion_sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void quicksort(uint32_t *a, int n)
{
    while (n > 16) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* Recurse into the smaller half, loop on the larger (bounded stack). */
        int left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static int lower_bound(const uint32_t *a, int n, uint32_t key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Counts words, numbers and punctuation in text: one switch per character. */
static uint64_t scan_text(const char *t, int n)
{
    enum { SPACE, WORD, NUMBER } state = SPACE;
    uint64_t words = 0, numbers = 0, punct = 0, value = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        char c = t[i];
        switch (c) {
        case ' ':
        case '\n':
            if (state == NUMBER)
                sum += value;
            state = SPACE;
            break;
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            if (state == SPACE) {
                numbers++;
                value = 0;
                state = NUMBER;
            }
            value = value * 10 + (uint64_t)(c - '0');
            break;
        case '.':
        case ',':
        case ';':
            punct++;
            if (state == NUMBER)
                sum += value;
            state = SPACE;
            break;
        default:
            if (state != WORD)
                words++;
            state = WORD;
            break;
        }
    }
    return words | numbers << 16 | punct << 32 | (sum & 0xffff) << 48;
}

uint64_t bench_round(void)
{
    uint64_t seed = 0x0123456789abcdefull;
    for (int i = 0; i < N; i++)
        arr[i] = (uint32_t)(rt_rand(&seed) >> 32);
    static const char alphabet[] = "etaoin shrdlu 0123456789 .,; \nxyz";
    for (int i = 0; i < N; i++)
        text[i] = alphabet[(rt_rand(&seed) >> 40) % (sizeof alphabet - 1)];

    quicksort(arr, N);
    uint64_t h = 0;
    for (int i = 0; i < N; i += 61)
        h = rt_mix(h, arr[i]);
    unsigned unsorted = 0;
    for (int i = 1; i < N; i++)
        unsorted += arr[i - 1] > arr[i];
    h = rt_mix(h, unsorted);

    uint64_t found = 0;
    for (int i = 0; i < N; i++) {
        uint32_t key = (uint32_t)(rt_rand(&seed) >> 32);
        found += (uint64_t)lower_bound(arr, N, key);
        found += lower_bound(arr, N, arr[i]) == i || arr[lower_bound(arr, N, arr[i])] == arr[i];
    }
    h = rt_mix(h, found);

    h = rt_mix(h, scan_text(text, N));

    uint64_t steps = 0;
    for (uint64_t n = 1; n < 600; n++) {
        uint64_t x = n * 7 + 27;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
    }
    return rt_mix(h, steps);
}

BENCH_DEFINE("branchy", 0x16befd1c2fecd544ull);
