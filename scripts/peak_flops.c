// One core's peak: GFLOP/s of independent chains of fused multiply-adds, the widest this CPU
// runs (AVX-512, else AVX2+FMA), and with AVX512_BF16 the bfloat16 dot products (vdpbf16ps:
// 32 multiply-adds an instruction into float32, Keras's mixed_bfloat16 on this hardware).
//   peak_flops [SECONDS]      prints "float32 GFLOPS" and, where present, "bfloat16 GFLOPS"
// 12 chains, unrolled so that they stay in registers, hide the FMA latency (4 cycles) on two
// ports. scripts/bench.py runs one a core at once and takes the sum as the machine's peak.
// Seen on a Sapphire Rapids VM (2026-12-02): float32 179 GFLOP/s a core, bfloat16 90: there
// vdpbf16ps issues every other cycle, half the float32 FMA rate.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { chains = 12, rounds = 1 << 16 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// Each returns the FLOP it did; the sum of its chains goes to *sink so nothing is optimized out.
__attribute__((target("avx512f"))) static double fma512(float *sink) {
    __m512 acc[chains], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < chains; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long r = 0; r < rounds; r++)
#pragma GCC unroll 12
        for (int c = 0; c < chains; c++) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
    for (int c = 1; c < chains; c++) acc[0] = _mm512_add_ps(acc[0], acc[c]);
    *sink += _mm512_reduce_add_ps(acc[0]);
    return 2.0 * 16 * chains * rounds;
}

__attribute__((target("avx2,fma"))) static double fma256(float *sink) {
    __m256 acc[chains], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < chains; c++) acc[c] = _mm256_set1_ps((float)c);
    for (long r = 0; r < rounds; r++)
#pragma GCC unroll 12
        for (int c = 0; c < chains; c++) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    float out[8];
    for (int c = 1; c < chains; c++) acc[0] = _mm256_add_ps(acc[0], acc[c]);
    _mm256_storeu_ps(out, acc[0]);
    for (int i = 0; i < 8; i++) *sink += out[i];
    return 2.0 * 8 * chains * rounds;
}

__attribute__((target("avx512f,avx512bf16"))) static double dpbf16(float *sink) {
    __m512 acc[chains];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380);  // 1.0, ~6e-8
    for (int c = 0; c < chains; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long r = 0; r < rounds; r++)
#pragma GCC unroll 12
        for (int c = 0; c < chains; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    for (int c = 1; c < chains; c++) acc[0] = _mm512_add_ps(acc[0], acc[c]);
    *sink += _mm512_reduce_add_ps(acc[0]);
    return 2.0 * 32 * chains * rounds;
}

// The best GFLOP/s of repeated calls over `seconds`.
static double best(double (*kernel)(float *), double seconds, float *sink) {
    double fastest = 0, start = now();
    while (now() - start < seconds) {
        double t = now(), flop = kernel(sink), rate = flop / (now() - t) / 1e9;
        if (rate > fastest) fastest = rate;
    }
    return fastest;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    float sink = 0;
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f");
    if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        fprintf(stderr, "peak_flops: neither AVX-512 nor AVX2+FMA on this CPU\n");
        return 1;
    }
    printf("float32 %.1f\n", best(avx512 ? fma512 : fma256, seconds, &sink));
    if (__builtin_cpu_supports("avx512bf16")) printf("bfloat16 %.1f\n", best(dpbf16, seconds, &sink));
    return sink == 12345.0f ? 2 : 0;
}
