// The inputs that rows light. A pixel that is 0 in every row of a tile of the first layer's
// products adds nothing to that tile's outputs (x W) or to its entries of the kernel's gradient
// (x^T dy): both products (`kernels_t.product`, `bf16_pair_product`) list what each tile's rows
// light and skip the rest, and the gradient's rows of pixels no row of a shard lights are set
// to +0.
//
// The matrices hold 32-bit elements: floats, or pairs of bfloat16 (`bf16_pair_product`'s
// operands). An element is zero when every bit but the top one is: a float +0 or -0, or a
// pair of bfloat16 zeros whose low one is +0.
#ifndef INPUTS_H
#define INPUTS_H
#include <stdint.h>

/// The columns of x (`rows` rows of `columns`, rows `ld` elements apart) that hold an element
/// other than zero in some row, in increasing order, into `lit`; returns how many.
long lit_columns(const void *x, long rows, long columns, long ld, int32_t *lit);

/// The inner indices p of a tile of rows, at_inner[first..<first + count] (or first..<first +
/// count without the list), at which some row r < `rows` holds an element other than zero at
/// tile[r][p * inner]; in order, into `lit`; returns how many. The kernels' tiles skip the
/// others. With AVX-512, 16 indices at a time where inner is 1 and there is no list.
long lit_in_tile_avx512(const void *const *tile, int rows, long inner, const int32_t *at_inner, long first, long count,
                        int32_t *lit);

/// `lit_in_tile_avx512` with AVX2 (8 indices at a time where inner is 1 and there is no list).
long lit_in_tile_avx2(const void *const *tile, int rows, long inner, const int32_t *at_inner, long first, long count,
                      int32_t *lit);

/// Every row of c (`total` rows of `width` floats) not listed in lit (increasing) becomes +0.
void clear_dark_rows(float *c, long width, const int32_t *lit, long count, long total);

/// Asks the caches for bytes p..<p + n, without waiting for them: an image some rows before
/// the load converts it (a batch's images are scattered over 47 MB, each a few cache lines).
void prefetch_bytes(const void *p, long n);

#endif
