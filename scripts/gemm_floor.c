// The GEMM floor of an epoch: only the five cblas_sgemm calls of a training step, on one
// rank's shard, 469 steps per epoch, and nothing else. bench.py runs two of these at once
// (one per core, one OpenBLAS thread each), as `mpirun -np 2` splits a batch of 128.
//   gemm_floor ROWS EPOCHS [LIT]   prints one line of seconds per epoch
// With LIT, the first layer's two products run over LIT of the 784 inputs, as the trainer's
// do over the inputs a shard lights (without its gathers).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *buffer(long n) {
    float *p = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    for (long i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    return p;
}

int main(int argc, char **argv) {
    const int rows = argc > 1 ? atoi(argv[1]) : 64, epochs = argc > 2 ? atoi(argv[2]) : 5;
    const int lit = argc > 3 ? atoi(argv[3]) : 784;
    const int in = 784, hidden = 512, classes = 10, steps = 469;
    float *x = buffer((long)rows * in), *w1 = buffer((long)in * hidden), *h = buffer((long)rows * hidden);
    float *w2 = buffer((long)hidden * classes), *z = buffer((long)rows * classes), *dz = buffer((long)rows * classes);
    float *dw2 = buffer((long)hidden * classes), *dh = buffer((long)rows * hidden), *dw1 = buffer((long)in * hidden);
    for (int e = 0; e < epochs; e++) {
        double start = now();
        for (int s = 0; s < steps; s++) {
            // The last batch of an epoch has 96 samples, not 128.
            int m = s == steps - 1 ? rows * 96 / 128 : rows;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hidden, lit, 1, x, in, w1, hidden, 1, h, hidden);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, classes, hidden, 1, h, hidden, w2, classes, 1, z, classes);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hidden, classes, m, 1, h, hidden, dz, classes, 0, dw2, classes);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, hidden, classes, 1, dz, classes, w2, classes, 0, dh, hidden);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, lit, hidden, m, 1, x, in, dh, hidden, 0, dw1, hidden);
        }
        printf("%.6f\n", now() - start);
        fflush(stdout);
    }
    return 0;
}
