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

void gather_columns(const void *x, long rows, long ld, const int32_t *lit, long count, void *out) {
    const uint32_t *elements = x;
    uint32_t *packed = out;
    for (long r = 0; r < rows; r++) {
        const uint32_t *row = elements + r * ld;
        for (long j = 0; j < count; j++) packed[r * count + j] = row[lit[j]];
    }
}

void gather_rows(const void *w, long width, const int32_t *lit, long count, void *out) {
    const uint32_t *elements = w;
    uint32_t *packed = out;
    for (long j = 0; j < count; j++) memcpy(packed + j * width, elements + lit[j] * width, (size_t)width * sizeof *packed);
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

void spread_rows(float *c, long width, const int32_t *lit, long count, long total) {
    const size_t bytes = (size_t)width * sizeof *c;
    long next = total;  // rows next..<total are placed
    for (long j = count - 1; j >= 0; j--) {
        long to = lit[j];  // to >= j: rows below j, not moved yet, are never written
        memset(c + (to + 1) * width, 0, (size_t)(next - to - 1) * bytes);
        if (to != j) memmove(c + to * width, c + j * width, bytes);
        next = to;
    }
    memset(c, 0, (size_t)next * bytes);
}
