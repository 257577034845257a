// Keras's mixed_bfloat16 policy: products of bfloat16 operands accumulated in float32, on
// AVX512_BF16's dot-product instruction, and the roundings to bfloat16 around them. A
// bfloat16 is the upper half of a float32; rounding is AVX512_BF16's: to nearest, ties to
// even, a NaN stays a NaN, denormal inputs count as zero. Everything here but
// `bf16_products_supported` needs AVX512_BF16.
#ifndef BFLOAT16_H
#define BFLOAT16_H
#include <stdint.h>

/// Whether this CPU has AVX512_BF16 (with the AVX-512 foundation and BMI2 the kernels need).
int bf16_products_supported(void);

/// c[i][j] = sum over p of the pair products a(i, p) . b[p][j], accumulated in float32: each
/// uint32 holds two bfloat16 (low half first), a(i, p) is a[i * a_row + p * a_pair], b's rows
/// are `ldb` apart. n must be a multiple of 32. With `at_rows` (else NULL), the rows i of a and
/// c are at_rows[0..<m] instead of 0..<m; with `at_pairs`, the pairs p are at_pairs[0..<pairs]:
/// the product over those only, the other rows of c untouched.
void bf16_pair_product(long m, long n, long pairs, const uint32_t *a, long a_row, long a_pair, const uint32_t *b,
                       long ldb, float *c, long ldc, const int32_t *at_rows, const int32_t *at_pairs);

/// out[p][j] = (x[2p][j], x[2p + 1][j]) rounded to bfloat16, for p < ceil(rows / 2) and
/// j < columns (x's rows `ldx` apart); an odd last row is paired with zero.
void bf16_pair_rows(const float *x, long rows, long columns, long ldx, uint32_t *out);

/// `bf16_pair_rows` for the pairs at_pairs[0..<count] only (out[p] for those p).
void bf16_pair_rows_at(const float *x, long rows, long columns, long ldx, const int32_t *at_pairs, long count,
                       uint32_t *out);

/// `bf16_pair_rows` of a matrix `w` (rows x columns, rows consecutive) for its elements
/// first..<first + n in row-major order only: each one's half of its pair in `pairs` (the rows
/// of a pair may be packed in separate calls, by separate threads).
void bf16_pack_pairs(const float *w, long first, long n, long columns, uint32_t *pairs);

/// out[k] = x[k] rounded to bfloat16: consecutive pairs of `out` are the uint32 pairs
/// `bf16_pair_product` takes when the pairs run along x's rows.
void bf16_convert(const float *x, uint16_t *out, long n);

/// out[k] = x[k] rounded to bfloat16 (kept as float32).
void bf16_round(const float *x, float *out, long n);

/// y[r][j] = round(y[r][j] + round(bias[j])), then max(., 0) if relu: a Dense layer's bias and
/// activation on its product, its output a bfloat16.
void bf16_bias_round(float *y, const float *bias, long rows, long columns, int relu);

#endif
