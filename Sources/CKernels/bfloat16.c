#include "bfloat16.h"
#include "tiles.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

int bf16_products_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("bmi2");
}

#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// Four rows by 64 columns at a time (16 accumulators; per pair of the inner dimension four
// loads of b and four broadcasts of a), over the pairs that some row of the four lights
// (tiles.h): a row lights fewer than a third of MNIST's pairs, four rows together two thirds
// of those of a batch. Each entry is one chain of dot products from +0, in the order of the pairs; a
// pair whose a is zero (every bit but the top one clear) would add +-0 to it, which leaves
// the sum as it is (it starts at +0).
#define INLINE static inline __attribute__((always_inline))

// Rows rows[0..<R] (into c's rows out[0..<R]) by 16 C columns from j, over the pairs lit:
// chains from +0, or from what c holds (`resume`: the pairs of an earlier chunk are in).
INLINE BF16 void pair_tile(const uint32_t *const *rows, long a_pair, const uint32_t *b, long ldb, float *const *out,
                           long j, const int32_t *lit, long count, int resume, const int R, const int C) {
    __m512 acc[TILE_ROWS][4];
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k++) acc[r][k] = resume ? _mm512_loadu_ps(out[r] + j + 16 * k) : _mm512_setzero_ps();
    for (long q = 0; q < count; q++) {
        const long p = lit[q];
        const uint32_t *row = b + p * ldb + j;
        __m512bh bv[4];
        for (int k = 0; k < C; k++) bv[k] = (__m512bh)_mm512_loadu_si512(row + 16 * k);
        for (int r = 0; r < R; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)rows[r][p * a_pair]);
            for (int k = 0; k < C; k++) acc[r][k] = _mm512_dpbf16_ps(acc[r][k], x, bv[k]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k++) _mm512_storeu_ps(out[r] + j + 16 * k, acc[r][k]);
}

// All of n's columns for R rows: 64 at a time, then 32.
INLINE BF16 void pair_tiles(const uint32_t *const *rows, long a_pair, const uint32_t *b, long ldb, float *const *out,
                            long n, const int32_t *lit, long count, int resume, const int R) {
    long j = 0;
    for (; j + 64 <= n; j += 64) pair_tile(rows, a_pair, b, ldb, out, j, lit, count, resume, R, 4);
    if (j < n) pair_tile(rows, a_pair, b, ldb, out, j, lit, count, resume, R, 2);
}

BF16 void bf16_pair_product(long m, long n, long pairs, const uint32_t *a, long a_row, long a_pair, const uint32_t *b,
                            long ldb, float *c, long ldc, const int32_t *at_rows, const int32_t *at_pairs) {
    TILED_PRODUCT(uint32_t, pairs, a_pair, at_pairs, lit_in_tile_avx512, pair_tiles)
}

// The roundings, 16 values at a time with VCVTNEPS2BF16 (to nearest even; a NaN stays a NaN;
// denormal inputs count as zero, as the dot products take them).
static inline BF16 __m512i widened(__m512 v) { return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(v)); }

static inline BF16 __m512 rounded16(__m512 v) { return _mm512_castsi512_ps(_mm512_slli_epi32(widened(v), 16)); }

static inline BF16 void pair_rows(const float *x, long rows, long columns, long ldx, long p, uint32_t *out) {
    int paired = 2 * p + 1 < rows;
    const float *even = x + 2 * p * ldx, *odd = paired ? even + ldx : even;
    uint32_t *o = out + p * columns;
    for (long j = 0; j < columns; j += 16) {
        __mmask16 m = lanes16(columns - j);
        __m512i low = widened(_mm512_maskz_loadu_ps(m, even + j));
        __m512i high = paired ? _mm512_slli_epi32(widened(_mm512_maskz_loadu_ps(m, odd + j)), 16) : _mm512_setzero_si512();
        _mm512_mask_storeu_epi32(o + j, m, _mm512_or_si512(low, high));
    }
}

BF16 void bf16_pair_rows(const float *x, long rows, long columns, long ldx, uint32_t *out) {
    for (long p = 0; p < (rows + 1) / 2; p++) pair_rows(x, rows, columns, ldx, p, out);
}

BF16 void bf16_pair_rows_at(const float *x, long rows, long columns, long ldx, const int32_t *at_pairs, long count,
                            uint32_t *out) {
    for (long q = 0; q < count; q++) pair_rows(x, rows, columns, ldx, at_pairs[q], out);
}

// Lane i of a 16-lane mask to bit 2i + half of a 32-lane one: the 16-bit halves of 16 pairs.
static inline __attribute__((target("bmi2"))) __mmask32 halves(__mmask16 lanes, long half) {
    return (__mmask32)_pdep_u32(lanes, half ? 0xAAAAAAAAu : 0x55555555u);
}

// Columns [from, to) of one row into its half of the pairs `out` (the pair row's words).
static inline BF16 __attribute__((target("bmi2"))) void pack_half(const float *row, long from, long to, long half,
                                                                  uint32_t *out) {
    for (long j = from; j < to; j += 16) {
        __mmask16 m = lanes16(to - j);
        __m512i v = widened(_mm512_maskz_loadu_ps(m, row + j));
        if (half) v = _mm512_slli_epi32(v, 16);
        _mm512_mask_storeu_epi16(out + j, halves(m, half), v);
    }
}

static inline long clamp(long x, long low, long high) { return x < low ? low : x > high ? high : x; }

BF16 __attribute__((target("bmi2"))) void bf16_pack_pairs(const float *w, long first, long n, long columns,
                                                         uint32_t *pairs) {
    const long end = first + n;
    for (long p = first / columns / 2; 2 * p * columns < end; p++) {
        const float *even = w + 2 * p * columns, *odd = even + columns;
        uint32_t *out = pairs + p * columns;
        // The columns of each row of the pair in first..<end; both rows: whole words.
        const long e0 = clamp(first - 2 * p * columns, 0, columns), e1 = clamp(end - 2 * p * columns, 0, columns);
        const long o0 = clamp(first - (2 * p + 1) * columns, 0, columns), o1 = clamp(end - (2 * p + 1) * columns, 0, columns);
        const long b0 = e0 > o0 ? e0 : o0, b1 = e1 < o1 ? e1 : o1;
        if (b0 < b1) {
            for (long j = b0; j < b1; j += 16) {
                __mmask16 m = lanes16(b1 - j);
                __m512i low = widened(_mm512_maskz_loadu_ps(m, even + j));
                __m512i high = _mm512_slli_epi32(widened(_mm512_maskz_loadu_ps(m, odd + j)), 16);
                __m512i packed = _mm512_or_si512(low, high);
                // Only words that change: a store claims the line from the ranks that read it.
                __mmask16 changed = _mm512_mask_cmpneq_epi32_mask(m, packed, _mm512_maskz_loadu_epi32(m, out + j));
                if (changed) _mm512_mask_storeu_epi32(out + j, changed, packed);
            }
            pack_half(even, e0, b0, 0, out), pack_half(even, b1, e1, 0, out);
            pack_half(odd, o0, b0, 1, out), pack_half(odd, b1, o1, 1, out);
        } else {
            pack_half(even, e0, e1, 0, out), pack_half(odd, o0, o1, 1, out);
        }
    }
}

BF16 void bf16_convert(const float *x, uint16_t *out, long n) {
    for (long k = 0; k < n; k += 16) {
        __mmask16 m = lanes16(n - k);
        _mm256_mask_storeu_epi16(out + k, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + k)));
    }
}

BF16 void bf16_round(const float *x, float *out, long n) {
    for (long k = 0; k < n; k += 16) {
        __mmask16 m = lanes16(n - k);
        _mm512_mask_storeu_ps(out + k, m, rounded16(_mm512_maskz_loadu_ps(m, x + k)));
    }
}

BF16 void bf16_bias_round(float *y, const float *bias, long rows, long columns, int relu) {
    const __m512 zero = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++) {
        float *row = y + r * columns;
        for (long j = 0; j < columns; j += 16) {
            __mmask16 m = lanes16(columns - j);
            __m512 v = rounded16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, row + j), rounded16(_mm512_maskz_loadu_ps(m, bias + j))));
            if (relu) v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ), v, zero);
            _mm512_mask_storeu_ps(row + j, m, v);
        }
    }
}
#else
// Other architectures: no bfloat16 products (`bf16_products_supported` says so), so nothing
// calls these.
int bf16_products_supported(void) { return 0; }
void bf16_pair_product(long m, long n, long pairs, const uint32_t *a, long a_row, long a_pair, const uint32_t *b,
                       long ldb, float *c, long ldc, const int32_t *at_rows, const int32_t *at_pairs) {
    __builtin_trap();
}
void bf16_pair_rows(const float *x, long rows, long columns, long ldx, uint32_t *out) { __builtin_trap(); }
void bf16_pair_rows_at(const float *x, long rows, long columns, long ldx, const int32_t *at_pairs, long count,
                       uint32_t *out) {
    __builtin_trap();
}
void bf16_pack_pairs(const float *w, long first, long n, long columns, uint32_t *pairs) { __builtin_trap(); }
void bf16_convert(const float *x, uint16_t *out, long n) { __builtin_trap(); }
void bf16_round(const float *x, float *out, long n) { __builtin_trap(); }
void bf16_bias_round(float *y, const float *bias, long rows, long columns, int relu) { __builtin_trap(); }
#endif

