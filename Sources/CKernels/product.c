#include "product.h"
#include "tiles.h"
#include <math.h>
#include <string.h>

// Every entry of c is one chain of fused multiply-adds from +0, in the order of the inner
// index, whatever the vector width: so every variant computes the same bits, and leaving out
// an inner index whose a is +-0 changes none where b is finite (the chain starts at +0 and a
// sum plus +-0 is that sum).
#pragma STDC FP_CONTRACT OFF

// The entry (i, p) of a, and the rows of a and c the i-th row of the product is.
#define A(row, p) a[(row) * a_row + (p) * a_inner]
#define ROW(i) (at_rows ? (long)at_rows[i] : (i))
#define INNER(q) (at_inner ? (long)at_inner[q] : (q))

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// Four rows by 64 columns at a time (16 accumulators; per inner index four loads of b and
// four broadcasts of a), over the inner indices some row of the four lights (tiles.h): a row
// of MNIST lights 150 of 784 pixels, four rows 290, a 64-row shard 494.

// Rows rows[0..<R] of a (into c's rows out[0..<R]) by 16 C columns from j (masked past n),
// over the inner indices lit: chains from +0, or from what c holds (`resume`).
INLINE AVX512 void tile_avx512(const float *const *rows, long a_inner, const float *b, long ldb, float *const *out,
                               long n, long j, const int32_t *lit, long count, int resume, const int R, const int C) {
    __mmask16 mask[4];
    for (int k = 0; k < C; k++) mask[k] = lanes16(n - j - 16 * k);
    __m512 acc[TILE_ROWS][4];
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k++) acc[r][k] = resume ? _mm512_maskz_loadu_ps(mask[k], out[r] + j + 16 * k) : _mm512_setzero_ps();
    for (long q = 0; q < count; q++) {
        const long p = lit[q];
        const float *in = b + p * ldb + j;
        __m512 bv[4];
        for (int k = 0; k < C; k++) bv[k] = _mm512_maskz_loadu_ps(mask[k], in + 16 * k);
        for (int r = 0; r < R; r++) {
            const __m512 x = _mm512_set1_ps(rows[r][p * a_inner]);
            for (int k = 0; k < C; k++) acc[r][k] = _mm512_fmadd_ps(x, bv[k], acc[r][k]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int k = 0; k < C; k++) _mm512_mask_storeu_ps(out[r] + j + 16 * k, mask[k], acc[r][k]);
}

// All of n's columns for R rows: 64 at a time, then what is left.
INLINE AVX512 void tiles_avx512(const float *const *rows, long a_inner, const float *b, long ldb, float *const *out,
                                long n, const int32_t *lit, long count, int resume, const int R) {
    long j = 0;
    for (; j + 64 <= n; j += 64) tile_avx512(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 4);
    const long left = n - j;
    if (left > 48) tile_avx512(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 4);
    else if (left > 32) tile_avx512(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 3);
    else if (left > 16) tile_avx512(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 2);
    else if (left > 0) tile_avx512(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 1);
}

AVX512 void product_avx512(PRODUCT_ARGUMENTS) { TILED_PRODUCT(float, k, a_inner, at_inner, lit_in_tile_avx512, tiles_avx512) }

// As tile_avx512 with 16 columns (two vectors): AVX2 has 16 registers, 2R + 3 of them in use.
// Masked loads are slow on some CPUs: only the last columns (`whole` 0) take them.
INLINE AVX2 void tile_avx2(const float *const *rows, long a_inner, const float *b, long ldb, float *const *out,
                           long n, long j, const int32_t *lit, long count, int resume, const int R, const int whole) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - j < 16 ? n - j : 16)), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - j < 16 ? n - j : 16) - 8), lane);
    __m256 acc[TILE_ROWS][2];
    for (int r = 0; r < R; r++) {
        const float *o = out[r] + j;
        acc[r][0] = !resume ? _mm256_setzero_ps() : whole ? _mm256_loadu_ps(o) : _mm256_maskload_ps(o, m0);
        acc[r][1] = !resume ? _mm256_setzero_ps() : whole ? _mm256_loadu_ps(o + 8) : _mm256_maskload_ps(o + 8, m1);
    }
    for (long q = 0; q < count; q++) {
        const long p = lit[q];
        const float *in = b + p * ldb + j;
        const __m256 b0 = whole ? _mm256_loadu_ps(in) : _mm256_maskload_ps(in, m0);
        const __m256 b1 = whole ? _mm256_loadu_ps(in + 8) : _mm256_maskload_ps(in + 8, m1);
        for (int r = 0; r < R; r++) {
            const __m256 x = _mm256_set1_ps(rows[r][p * a_inner]);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *o = out[r] + j;
        if (whole) {
            _mm256_storeu_ps(o, acc[r][0]);
            _mm256_storeu_ps(o + 8, acc[r][1]);
        } else {
            _mm256_maskstore_ps(o, m0, acc[r][0]);
            _mm256_maskstore_ps(o + 8, m1, acc[r][1]);
        }
    }
}

INLINE AVX2 void tiles_avx2(const float *const *rows, long a_inner, const float *b, long ldb, float *const *out,
                            long n, const int32_t *lit, long count, int resume, const int R) {
    long j = 0;
    for (; j + 16 <= n; j += 16) tile_avx2(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 1);
    if (j < n) tile_avx2(rows, a_inner, b, ldb, out, n, j, lit, count, resume, R, 0);
}

AVX2 void product_avx2(PRODUCT_ARGUMENTS) { TILED_PRODUCT(float, k, a_inner, at_inner, lit_in_tile_avx2, tiles_avx2) }

// x * y + z rounded once, without FMA instructions (where `fmaf` is a slow library call): the
// product is exact in double; the sum, rounded to odd in double (the neighbour whose last bit
// is 1 when inexact), rounds to float as the exact sum would, as double has 29 more bits.
static inline float fused(float x, float y, float z) {
    const double product = (double)x * y, sum = product + z;
    const double back = sum - product, error = (product - (sum - back)) + ((double)z - back);  // exact: Knuth's TwoSum
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    if ((error > 0 || error < 0) && (bits & 1) == 0) bits += (error > 0) == (sum > 0) ? 1 : -1;  // not inf, NaN
    double odd;
    memcpy(&odd, &bits, sizeof odd);
    return (float)odd;
}
#define VARIANT product_sse2
#else
static inline float fused(float x, float y, float z) { return fmaf(x, y, z); }  // one instruction, as on aarch64
#define VARIANT product_portable
#endif

// Row by row, each a chain of `fused` per entry, skipping the inner indices at which the row's
// a is +-0 (in SSE2, without FMA instructions, 1.1-1.3 GFLOP/s on a Zen 4 core, against 90-100
// for the AVX-512 kernel).
void VARIANT(PRODUCT_ARGUMENTS) {
    for (long i = 0; i < m; i++) {
        const long row = ROW(i);
        float *out = c + row * ldc;
        for (long j = 0; j < n; j++) out[j] = 0.0f;
        for (long q = 0; q < k; q++) {
            const long p = INNER(q);
            const float x = A(row, p), *in = b + p * ldb;
            if (x == 0.0f) continue;
            for (long j = 0; j < n; j++) out[j] = fused(x, in[j], out[j]);
        }
    }
}
