// The float32 matrix product of the first layer, one function per instruction set; kernels.c
// puts them in its tables (`kernels_t.product` documents what they compute).
#ifndef PRODUCT_H
#define PRODUCT_H
#include <stdint.h>

#define PRODUCT_ARGUMENTS                                                                                          \
    long m, long n, long k, const float *a, long a_row, long a_inner, const float *b, long ldb, float *c, long ldc, \
        const int32_t *at_rows, const int32_t *at_inner

#if defined(__x86_64__) || defined(__i386__)
void product_avx512(PRODUCT_ARGUMENTS);
void product_avx2(PRODUCT_ARGUMENTS);
void product_sse2(PRODUCT_ARGUMENTS);
#else
void product_portable(PRODUCT_ARGUMENTS);
#endif

#endif
