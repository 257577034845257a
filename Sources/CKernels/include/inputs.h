// The inputs that no sample of a batch lights. A pixel that is 0 in every row of a batch adds
// nothing to the first layer's outputs (x W) and exactly +0 to each entry of its row of the
// kernel's gradient (x^T dy), so both products can skip it: find the others, gather their
// columns of x (and rows of W), multiply, and spread the gradient's rows back to where they
// belong, with +0 between them. (The bfloat16 product takes the lit inputs as a list instead
// of gathered operands.)
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

/// out (rows x count, packed) = columns lit[0..<count] of x (rows `ld` elements apart).
void gather_columns(const void *x, long rows, long ld, const int32_t *lit, long count, void *out);

/// out (count x width, packed) = rows lit[0..<count] of w (rows `width` elements apart).
void gather_rows(const void *w, long width, const int32_t *lit, long count, void *out);

/// Every row of c (`total` rows of `width` floats) not listed in lit (increasing) becomes +0.
void clear_dark_rows(float *c, long width, const int32_t *lit, long count, long total);

/// In place, c holding `count` packed rows of `width` floats: row j moves to row lit[j] of
/// `total` rows, and every row not listed in lit becomes +0 (lit increasing, below total).
void spread_rows(float *c, long width, const int32_t *lit, long count, long total);

#endif
