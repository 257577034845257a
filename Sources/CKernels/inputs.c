#include "inputs.h"
#include <string.h>

long lit_columns(const void *x, long rows, long columns, long ld, int32_t *lit) {
    // Each column's bits ORed over the rows (in `lit`, reused), without the top one.
    const uint32_t *elements = x;
    uint32_t *any = (uint32_t *)lit;
    memset(any, 0, (size_t)columns * sizeof *any);
    for (long r = 0; r < rows; r++) {
        const uint32_t *row = elements + r * ld;
        for (long c = 0; c < columns; c++) any[c] |= row[c] << 1;
    }
    long count = 0;
    for (long c = 0; c < columns; c++) {
        if (any[c] != 0) lit[count++] = (int32_t)c;  // count <= c: never ahead of the reading
    }
    return count;
}

void clear_dark_rows(float *c, long width, const int32_t *lit, long count, long total) {
    const size_t bytes = (size_t)width * sizeof *c;
    long next = 0;  // rows below next are done
    for (long j = 0; j < count; j++) {
        memset(c + next * width, 0, (size_t)(lit[j] - next) * bytes);
        next = lit[j] + 1;
    }
    memset(c + next * width, 0, (size_t)(total - next) * bytes);
}

void prefetch_bytes(const void *p, long n) {
    for (long i = 0; i < n; i += 64) __builtin_prefetch((const char *)p + i);
    if (n > 0) __builtin_prefetch((const char *)p + n - 1);  // the last line, if p is not aligned
}
