// What the first layer's kernels (product.c, bfloat16.c) share: rows taken TILE_ROWS at a time,
// each tile over the inner indices its rows light (`lit_in_tile_avx512`, `_avx2`), the inner
// dimension TILE_CHUNK indices at a time, each chunk's chains resuming the last's.
#ifndef TILES_H
#define TILES_H
#include "inputs.h"

enum { TILE_ROWS = 4, TILE_CHUNK = 1024 };

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/// The lanes of 16 elements that lie before the end, `left` elements away.
static inline __mmask16 lanes16(long left) { return left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1); }
#endif

/// The body of a product over `element` rows: a[i * a_row + p * a_inner] against b's rows, into
/// c (the names of `PRODUCT_ARGUMENTS`, with `inner` indices, `a_inner` and `at_inner` as the
/// kernel names them). `lit` lists a tile's lit indices; `tiles(rows, a_inner, b, ldb, out, n,
/// listed, count, resume, R)` runs the tiles of R rows across the columns.
#define TILED_PRODUCT(element, inner, a_inner, at_inner, lit, tiles)                                             \
    int32_t listed[TILE_CHUNK];                                                                                  \
    for (long i = 0; i < m;) {                                                                                   \
        const int R = m - i >= 4 ? 4 : m - i >= 2 ? 2 : 1;                                                       \
        const element *rows[TILE_ROWS];                                                                          \
        float *out[TILE_ROWS];                                                                                   \
        for (int r = 0; r < R; r++) {                                                                            \
            const long row = at_rows ? (long)at_rows[i + r] : i + r;                                             \
            rows[r] = a + row * a_row, out[r] = c + row * ldc;                                                   \
        }                                                                                                        \
        long first = 0;                                                                                          \
        do {                                                                                                     \
            const long size = inner - first < TILE_CHUNK ? inner - first : TILE_CHUNK;                           \
            const long count = lit((const void *const *)rows, R, a_inner, at_inner, first, size, listed);        \
            const int resume = first > 0;                                                                        \
            if (R == 4) tiles(rows, a_inner, b, ldb, out, n, listed, count, resume, 4);                          \
            else if (R == 2) tiles(rows, a_inner, b, ldb, out, n, listed, count, resume, 2);                     \
            else tiles(rows, a_inner, b, ldb, out, n, listed, count, resume, 1);                                 \
            first += size;                                                                                       \
        } while (first < inner);                                                                                 \
        i += R;                                                                                                  \
    }

#endif
