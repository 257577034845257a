// Times MPI collectives on the gradient buffer's size (407,053 floats), back to back, and
// prints the mean per call every 500 calls (12 times), to see how the machine's shared-memory
// transport behaves over time (docs/performance.md, "The bimodal allreduce"):
//   mpicc -O2 scripts/mpi_collectives.c -o /tmp/mpi_collectives
//   mpirun --allow-run-as-root -np 2 /tmp/mpi_collectives
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank, size; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
    int n = 407050 + 3, iters = 500;
    float* a = malloc(n * 4); float* b = malloc(n * 4);
    for (int i = 0; i < n; i++) a[i] = i;
    int* counts = malloc(size * sizeof(int)); int* displs = malloc(size * sizeof(int));
    for (int r = 0; r < size; r++) { counts[r] = n / size + (r < n % size); displs[r] = r ? displs[r-1] + counts[r-1] : 0; }
    // allreduce in place
    for (int rep = 0; rep < 12; rep++) {
    MPI_Barrier(MPI_COMM_WORLD); double t = MPI_Wtime();
    for (int i = 0; i < iters; i++) MPI_Allreduce(MPI_IN_PLACE, a, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double ta = (MPI_Wtime() - t) / iters;
    MPI_Barrier(MPI_COMM_WORLD); t = MPI_Wtime();
    for (int i = 0; i < iters; i++) MPI_Reduce_scatter(a, b, counts, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double trs = (MPI_Wtime() - t) / iters;
    MPI_Barrier(MPI_COMM_WORLD); t = MPI_Wtime();
    for (int i = 0; i < iters; i++) MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, a, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
    double tag = (MPI_Wtime() - t) / iters;
    MPI_Barrier(MPI_COMM_WORLD); t = MPI_Wtime();
    for (int i = 0; i < iters; i++) { float x[3] = {1,2,3}; MPI_Allreduce(MPI_IN_PLACE, x, 3, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }
    double tsmall = (MPI_Wtime() - t) / iters;
    if (rank == 0) printf("np=%d allreduce %.1f us  reduce_scatter %.1f us  allgatherv %.1f us  small allreduce %.1f us\n", size, ta*1e6, trs*1e6, tag*1e6, tsmall*1e6);
    }
    MPI_Finalize();
}
