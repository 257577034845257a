// Small C helpers: Linux calls that glibc declares only under _GNU_SOURCE (which Swift's Glibc
// module lacks).
#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H
#include <stddef.h>
#include <stdint.h>

int sched_getaffinity(int pid, size_t cpusetsize, void *mask);

/// CPUs in this process's affinity mask, or 0 if it cannot be read.
static inline int csystem_usable_cpus(void) {
    uint64_t mask[16] = {0};
    if (sched_getaffinity(0, sizeof mask, mask) != 0) return 0;
    int n = 0;
    for (int i = 0; i < 16; i++) n += __builtin_popcountll(mask[i]);
    return n;
}

#endif
