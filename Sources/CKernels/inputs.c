#include "inputs.h"
#include "tiles.h"
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

// No branch on an index: which are lit is not predictable.
static inline __attribute__((always_inline)) long lit_one_by_one(const void *const *tile, int rows, long inner,
                                                                 const int32_t *at_inner, long first, long count,
                                                                 int32_t *lit) {
    long n = 0;
    for (long q = first; q < first + count; q++) {
        const long p = at_inner ? at_inner[q] : q;
        uint32_t any = 0;
        for (int r = 0; r < rows; r++) any |= ((const uint32_t *)tile[r])[p * inner];
        lit[n] = (int32_t)p, n += (any << 1) != 0;
    }
    return n;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) long lit_in_tile_avx512(const void *const *tile, int rows, long inner,
                                                           const int32_t *at_inner, long first, long count,
                                                           int32_t *lit) {
    if (at_inner || inner != 1) return lit_one_by_one(tile, rows, inner, at_inner, first, count, lit);
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    long n = 0;
    for (long q = first; q < first + count; q += 16) {
        const __mmask16 m = lanes16(first + count - q);
        __m512i any = _mm512_setzero_si512();
        for (int r = 0; r < rows; r++) any = _mm512_or_si512(any, _mm512_maskz_loadu_epi32(m, (const uint32_t *)tile[r] + q));
        const __mmask16 on = _mm512_test_epi32_mask(any, magnitude);
        _mm512_mask_compressstoreu_epi32(lit + n, on, _mm512_add_epi32(_mm512_set1_epi32((int)q), lanes));
        n += __builtin_popcount(on);
    }
    return n;
}

__attribute__((target("avx2"))) long lit_in_tile_avx2(const void *const *tile, int rows, long inner,
                                                      const int32_t *at_inner, long first, long count, int32_t *lit) {
    if (at_inner || inner != 1) return lit_one_by_one(tile, rows, inner, at_inner, first, count, lit);
    long n = 0, q = first;
    for (; q + 8 <= first + count; q += 8) {
        __m256i any = _mm256_setzero_si256();
        for (int r = 0; r < rows; r++) any = _mm256_or_si256(any, _mm256_loadu_si256((const __m256i *)((const uint32_t *)tile[r] + q)));
        const __m256i zero = _mm256_cmpeq_epi32(_mm256_slli_epi32(any, 1), _mm256_setzero_si256());
        const unsigned on = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(zero)) & 0xff;
        for (int l = 0; l < 8; l++) lit[n] = (int32_t)(q + l), n += (on >> l) & 1;
    }
    return n + lit_one_by_one(tile, rows, inner, at_inner, q, first + count - q, lit + n);
}
#else
long lit_in_tile_avx2(const void *const *tile, int rows, long inner, const int32_t *at_inner, long first, long count,
                      int32_t *lit) {
    __builtin_trap();
}
long lit_in_tile_avx512(const void *const *tile, int rows, long inner, const int32_t *at_inner, long first, long count,
                        int32_t *lit) {
    __builtin_trap();
}
#endif

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
