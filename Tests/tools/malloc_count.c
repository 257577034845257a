// LD_PRELOAD shim for AllocationTests: counts the heap allocation calls (malloc, realloc,
// posix_memalign, aligned_alloc) of a mnist-mpi process and prints "mallocs N" on standard
// error when it exits. Other processes that inherit the shim (the `orted` a process without
// mpirun starts as MPI's singleton runtime) print nothing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long count;
#define COUNT() __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED)
typedef void *(*malloc_f)(size_t);
typedef void *(*realloc_f)(void *, size_t);
typedef int (*posix_memalign_f)(void **, size_t, size_t);
typedef void *(*aligned_alloc_f)(size_t, size_t);
#define REAL(name, type) static type real; if (!real) real = (type)dlsym(RTLD_NEXT, name)

void *malloc(size_t n) { REAL("malloc", malloc_f); COUNT(); return real(n); }
void *realloc(void *p, size_t n) { REAL("realloc", realloc_f); COUNT(); return real(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { REAL("posix_memalign", posix_memalign_f); COUNT(); return real(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { REAL("aligned_alloc", aligned_alloc_f); COUNT(); return real(a, n); }

__attribute__((destructor)) static void report(void) {
    if (strcmp(program_invocation_short_name, "mnist-mpi") != 0) return;
    char line[64];
    int k = snprintf(line, sizeof line, "mallocs %lu\n", count);
    if (write(2, line, k) < 0) {}
}
