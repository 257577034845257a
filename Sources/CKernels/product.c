#include "product.h"
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

// Rows i..<i + R of c by 32 columns from j (masked past n): 2R accumulators, and per inner
// index two loads of b and R broadcasts of a.
INLINE AVX512 void tile_avx512(PRODUCT_ARGUMENTS, long i, long j, const int R) {
    (void)m;
    const long left = n - j;
    const __mmask16 m0 = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
    const __mmask16 m1 = left >= 32 ? 0xffff : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
    const float *ar[8];
    __m512 acc[8][2];
    for (int r = 0; r < R; r++) {
        ar[r] = a + ROW(i + r) * a_row;
        acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    }
    for (long q = 0; q < k; q++) {
        const long p = INNER(q);
        const float *in = b + p * ldb + j;
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, in), b1 = _mm512_maskz_loadu_ps(m1, in + 16);
        for (int r = 0; r < R; r++) {
            const __m512 x = _mm512_set1_ps(ar[r][p * a_inner]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *out = c + ROW(i + r) * ldc + j;
        _mm512_mask_storeu_ps(out, m0, acc[r][0]);
        _mm512_mask_storeu_ps(out + 16, m1, acc[r][1]);
    }
}

// Eight rows at a time, then four, two, one.
AVX512 void product_avx512(PRODUCT_ARGUMENTS) {
    for (long j = 0; j < n; j += 32) {
        long i = 0;
        for (; i + 8 <= m; i += 8) tile_avx512(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 8);
        if (i + 4 <= m) tile_avx512(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 4), i += 4;
        if (i + 2 <= m) tile_avx512(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 2), i += 2;
        if (i < m) tile_avx512(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 1);
    }
}

// As tile_avx512 with 16 columns: AVX2 has 16 registers, 2R + 3 of them in use. Masked loads
// are slow on some CPUs: only the last columns (`whole` 0) take them.
INLINE AVX2 void tile_avx2(PRODUCT_ARGUMENTS, long i, long j, const int R, const int whole) {
    (void)m;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - j < 16 ? n - j : 16)), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - j < 16 ? n - j : 16) - 8), lane);
    const float *ar[6];
    __m256 acc[6][2];
    for (int r = 0; r < R; r++) {
        ar[r] = a + ROW(i + r) * a_row;
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    }
    for (long q = 0; q < k; q++) {
        const long p = INNER(q);
        const float *in = b + p * ldb + j;
        const __m256 b0 = whole ? _mm256_loadu_ps(in) : _mm256_maskload_ps(in, m0);
        const __m256 b1 = whole ? _mm256_loadu_ps(in + 8) : _mm256_maskload_ps(in + 8, m1);
        for (int r = 0; r < R; r++) {
            const __m256 x = _mm256_set1_ps(ar[r][p * a_inner]);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *out = c + ROW(i + r) * ldc + j;
        if (whole) {
            _mm256_storeu_ps(out, acc[r][0]);
            _mm256_storeu_ps(out + 8, acc[r][1]);
        } else {
            _mm256_maskstore_ps(out, m0, acc[r][0]);
            _mm256_maskstore_ps(out + 8, m1, acc[r][1]);
        }
    }
}

// Six rows at a time, then four, two, one.
INLINE AVX2 void strip_avx2(PRODUCT_ARGUMENTS, long j, const int whole) {
    long i = 0;
    for (; i + 6 <= m; i += 6) tile_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 6, whole);
    if (i + 4 <= m) tile_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 4, whole), i += 4;
    if (i + 2 <= m) tile_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 2, whole), i += 2;
    if (i < m) tile_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, i, j, 1, whole);
}

AVX2 void product_avx2(PRODUCT_ARGUMENTS) {
    long j = 0;
    for (; j + 16 <= n; j += 16) strip_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, j, 1);
    if (j < n) strip_avx2(m, n, k, a, a_row, a_inner, b, ldb, c, ldc, at_rows, at_inner, j, 0);
}

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

// Row by row, each a chain of `fused` per entry (in SSE2, without FMA instructions, 1.1-1.3
// GFLOP/s on a Zen 4 core, against 90-100 for the AVX-512 kernel).
void VARIANT(PRODUCT_ARGUMENTS) {
    for (long i = 0; i < m; i++) {
        const long row = ROW(i);
        float *out = c + row * ldc;
        for (long j = 0; j < n; j++) out[j] = 0.0f;
        for (long q = 0; q < k; q++) {
            const long p = INNER(q);
            const float x = A(row, p), *in = b + p * ldb;
            for (long j = 0; j < n; j++) out[j] = fused(x, in[j], out[j]);
        }
    }
}
