#include "kernels.h"
#include "product.h"
#include <math.h>
#include <string.h>

// Same bits on every variant: a * b + c must stay two roundings, never one fused one.
#pragma STDC FP_CONTRACT OFF

// Each body is written once and inlined into one function per instruction set; the compiler
// vectorizes each copy at that width.

// Keras's update of n parameters from their gradient sums. `reciprocal` is 1 / batch when
// that is exact as a multiplier (a batch of a power of two: sums * (1 / batch) is then
// sums / batch, bit for bit, for one multiplication instead of a division), else 0.
static inline __attribute__((always_inline)) void rmsprop_run(float *restrict w, float *restrict v, const float *restrict sums,
                                                              long n, float batch, float reciprocal, float rho,
                                                              float one_minus_rho, float lr, float eps) {
    for (long i = 0; i < n; i++) {
        float g = reciprocal != 0.0f ? sums[i] * reciprocal : sums[i] / batch;
        float vi = rho * v[i] + (one_minus_rho * g) * g;
        v[i] = vi;
        w[i] = w[i] - (lr * g) / sqrtf(vi + eps);
    }
}

// The division and the square root bound the update, so it skips them where that changes no
// bit: a chunk whose gradient sums are all +-0 (input pixels that no sample of the batch
// lights: a third of MNIST's first layer) only decays its velocity, as the update would
// subtract 0 from the weights.
enum { chunk = 64 };

static inline __attribute__((always_inline)) float reciprocal_of(float batch) {
    const long whole = (long)batch;
    return whole > 0 && (float)whole == batch && (whole & (whole - 1)) == 0 ? 1.0f / batch : 0.0f;
}

static inline __attribute__((always_inline)) int all_zero(const float *restrict sums) {
    uint32_t magnitudes = 0;
    for (long i = 0; i < chunk; i++) {
        uint32_t bits;
        memcpy(&bits, sums + i, sizeof bits);
        magnitudes |= bits << 1;  // the sign bit shifted out: -0 is 0
    }
    return magnitudes == 0;
}

// One chunk (m <= chunk floats) of the update from its gradient sums.
static inline __attribute__((always_inline)) void rmsprop_chunk(float *restrict w, float *restrict v,
                                                                const float *restrict sums, long m, float batch,
                                                                float reciprocal, float rho, float one_minus_rho,
                                                                float lr, float eps) {
    if (m == chunk && all_zero(sums)) {
        for (long i = 0; i < chunk; i++) v[i] = rho * v[i];
    } else {
        rmsprop_run(w, v, sums, m, batch, reciprocal, rho, one_minus_rho, lr, eps);
    }
}

static inline __attribute__((always_inline)) void rmsprop_body(float *restrict w, float *restrict v, const float *restrict sums,
                                                               long n, float batch, float rho, float one_minus_rho, float lr,
                                                               float eps) {
    const float reciprocal = reciprocal_of(batch);
    for (long start = 0; start < n; start += chunk) {
        const long m = n - start < chunk ? n - start : chunk;
        rmsprop_chunk(w + start, v + start, sums + start, m, batch, reciprocal, rho, one_minus_rho, lr, eps);
    }
}

// Chunk by chunk, each chunk's gradient sums parts[0] + parts[1] + ... (in that order) added
// in L1 as its parts are read. Two parts (a node of two ranks) get a loop of their own, which
// runs the whole update a quarter faster than the general one (0.31 against 0.40 ns a float).
static inline __attribute__((always_inline)) void rmsprop_parts_body(float *restrict w, float *restrict v,
                                                                     const float *const *parts, long nparts, long n,
                                                                     float batch, float rho, float one_minus_rho,
                                                                     float lr, float eps) {
    const float reciprocal = reciprocal_of(batch);
    float sums[chunk] __attribute__((aligned(64)));
    if (nparts == 2) {
        const float *restrict a = parts[0], *restrict b = parts[1];
        for (long start = 0; start < n; start += chunk) {
            const long m = n - start < chunk ? n - start : chunk;
            for (long i = 0; i < m; i++) sums[i] = a[start + i] + b[start + i];
            rmsprop_chunk(w + start, v + start, sums, m, batch, reciprocal, rho, one_minus_rho, lr, eps);
        }
        return;
    }
    for (long start = 0; start < n; start += chunk) {
        const long m = n - start < chunk ? n - start : chunk;
        for (long i = 0; i < m; i++) sums[i] = parts[0][start + i];
        for (long k = 1; k < nparts; k++) {
            for (long i = 0; i < m; i++) sums[i] += parts[k][start + i];
        }
        rmsprop_chunk(w + start, v + start, sums, m, batch, reciprocal, rho, one_minus_rho, lr, eps);
    }
}

static inline __attribute__((always_inline)) void add_bias_body(float *restrict y, const float *restrict bias, long rows,
                                                                long columns, int relu) {
    for (long r = 0; r < rows; r++) {
        float *row = y + r * columns;
        if (relu) {
            for (long j = 0; j < columns; j++) {
                float v = row[j] + bias[j];
                row[j] = 0.0f >= v ? 0.0f : v;
            }
        } else {
            for (long j = 0; j < columns; j++) row[j] += bias[j];
        }
    }
}

static inline __attribute__((always_inline)) void relu_backward_body(const float *restrict h, float *restrict dh, long n) {
    for (long i = 0; i < n; i++) dh[i] = h[i] > 0.0f ? dh[i] : 0.0f;
}

static inline __attribute__((always_inline)) void column_sums_body(const float *restrict dy, long rows, long columns,
                                                                   float *restrict out) {
    for (long j = 0; j < columns; j++) out[j] = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float *row = dy + r * columns;
        for (long j = 0; j < columns; j++) out[j] += row[j];
    }
}

static inline __attribute__((always_inline)) void scale_bytes_body(const uint8_t *restrict in, float *restrict out, long n) {
    for (long k = 0; k < n; k++) out[k] = (float)in[k] / 255.0f;
}

#define VARIANT(suffix, target)                                                                                      \
    target static void rmsprop_##suffix(float *w, float *v, const float *s, long n, float b, float r, float o, float l, \
                                        float e) {                                                                   \
        rmsprop_body(w, v, s, n, b, r, o, l, e);                                                                     \
    }                                                                                                                \
    target static void rmsprop_parts_##suffix(float *w, float *v, const float *const *p, long k, long n, float b,     \
                                              float r, float o, float l, float e) {                                  \
        rmsprop_parts_body(w, v, p, k, n, b, r, o, l, e);                                                            \
    }                                                                                                                \
    target static void add_bias_##suffix(float *y, const float *b, long rows, long columns, int relu) {             \
        add_bias_body(y, b, rows, columns, relu);                                                                    \
    }                                                                                                                \
    target static void relu_backward_##suffix(const float *h, float *dh, long n) { relu_backward_body(h, dh, n); }  \
    target static void column_sums_##suffix(const float *dy, long rows, long columns, float *out) {                \
        column_sums_body(dy, rows, columns, out);                                                                    \
    }                                                                                                                \
    target static void scale_bytes_##suffix(const uint8_t *in, float *out, long n) { scale_bytes_body(in, out, n); } \
    static const kernels_t kernels_##suffix = {#suffix,          rmsprop_##suffix,       rmsprop_parts_##suffix,      \
                                               add_bias_##suffix, relu_backward_##suffix, column_sums_##suffix,      \
                                               scale_bytes_##suffix, product_##suffix};

#if defined(__x86_64__) || defined(__i386__)
// x86: the widest instruction set this CPU runs, chosen at run time.
VARIANT(avx512, __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))))
VARIANT(avx2, __attribute__((target("avx2,fma"))))
VARIANT(sse2, )

const kernels_t *kernels_select(const char *name) {
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (name == NULL || name[0] == 0) return avx512 ? &kernels_avx512 : avx2 ? &kernels_avx2 : &kernels_sse2;
    if (strcmp(name, "avx512") == 0) return avx512 ? &kernels_avx512 : NULL;
    if (strcmp(name, "avx2") == 0) return avx2 ? &kernels_avx2 : NULL;
    if (strcmp(name, "sse2") == 0) return &kernels_sse2;
    return NULL;
}
#else
// Other architectures (aarch64: NEON is its baseline): one portable variant, vectorized by the
// compiler for the target's baseline.
VARIANT(portable, )

const kernels_t *kernels_select(const char *name) {
    if (name == NULL || name[0] == 0 || strcmp(name, "portable") == 0) return &kernels_portable;
    return NULL;
}
#endif
