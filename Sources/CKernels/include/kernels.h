// The element-wise loops of a training step, compiled for AVX-512, AVX2 and baseline x86-64
// (SSE2) and chosen once at run time, so one binary uses the full vector width of whatever
// node it runs on. Every variant computes the same bits: no FMA contraction, and only
// operations that are correctly rounded lane by lane (the product's fused multiply-adds are
// written out, in one order).
#ifndef KERNELS_H
#define KERNELS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    /// "avx512", "avx2" or "sse2".
    const char *name;
    /// Keras RMSprop on gradient sums: g = sums / batch; v = rho v + (1 - rho) g g;
    /// w -= lr g / sqrt(v + eps).
    void (*rmsprop)(float *w, float *v, const float *sums, long n, float batch, float rho, float one_minus_rho,
                    float lr, float eps);
    /// rmsprop with sums = parts[0] + parts[1] + ... (in that order): the sharded step on a
    /// slice whose gradient parts lie in other ranks' shared memory.
    void (*rmsprop_parts)(float *w, float *v, const float *const *parts, long nparts, long n, float batch, float rho,
                          float one_minus_rho, float lr, float eps);
    /// y[r][j] += bias[j] in place, then with relu y = max(y, 0) (NaN stays NaN): a Dense
    /// layer's bias and activation in one pass over its product, while that is still in cache.
    void (*add_bias)(float *y, const float *bias, long rows, long columns, int relu);
    /// dh = 0 where !(h > 0).
    void (*relu_backward)(const float *h, float *dh, long n);
    /// out[j] = sum over rows of dy[r][j], rows in order.
    void (*column_sums)(const float *dy, long rows, long columns, float *out);
    /// out[k] = in[k] / 255.
    void (*scale_bytes)(const uint8_t *in, float *out, long n);
    /// c[i][j] = sum over q < k of a(i, p) b[p][j], p = at_inner[q] (or q without the list),
    /// a(i, p) = a[i * a_row + p * a_inner], the rows of b and c `ldb` and `ldc` apart; with
    /// `at_rows`, the rows i of a and c are at_rows[0..<m] instead of 0..<m and the others of c
    /// are untouched. Each entry is one chain of fused multiply-adds from +0 in the order of q
    /// (the first layer's products; the variants skip the q at which a is +-0 in every row of
    /// a tile of 4 rows, or of the row, which leaves every chain's bits as they are where b is
    /// finite).
    void (*product)(long m, long n, long k, const float *a, long a_row, long a_inner, const float *b, long ldb,
                    float *c, long ldc, const int32_t *at_rows, const int32_t *at_inner);
} kernels_t;

/// The variant named "avx512", "avx2" or "sse2" (x86) or "portable" (other architectures) if
/// this CPU runs it, else NULL; with NULL or "", the widest this CPU runs.
const kernels_t *kernels_select(const char *name);

#endif
