// Small C helpers and declarations Swift's Glibc module lacks: Linux calls glibc declares only
// under _GNU_SOURCE, mallopt, and a futex-based barrier.
#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H
#include <malloc.h>  // mallopt
#include <stddef.h>
#include <stdint.h>

int sched_getaffinity(int pid, size_t cpusetsize, void *mask);
int sched_setaffinity(int pid, size_t cpusetsize, const void *mask);
int sched_getcpu(void);

/// The CPU this thread runs on now, or -1.
static inline int csystem_current_cpu(void) { return sched_getcpu(); }

/// Restricts this process to `cpu`, first saving its affinity mask in `saved` (16 words) for
/// `csystem_restore_affinity`. Returns 0, or -1 if the mask cannot be read or `cpu` is not
/// allowed (a cpuset without it).
static inline int csystem_pin_to_cpu(int cpu, uint64_t *saved) {
    if (cpu < 0 || cpu >= 1024 || sched_getaffinity(0, 16 * sizeof(uint64_t), saved) != 0) return -1;
    uint64_t one[16] = {0};
    one[cpu / 64] = (uint64_t)1 << (cpu % 64);
    return sched_setaffinity(0, sizeof one, one);
}

static inline void csystem_restore_affinity(const uint64_t *saved) { sched_setaffinity(0, 16 * sizeof(uint64_t), saved); }

/// CPUs in this process's affinity mask, or 0 if it cannot be read.
static inline int csystem_usable_cpus(void) {
    uint64_t mask[16] = {0};
    if (sched_getaffinity(0, sizeof mask, mask) != 0) return 0;
    int n = 0;
    for (int i = 0; i < 16; i++) n += __builtin_popcountll(mask[i]);
    return n;
}

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/// Waits until `ranks` processes or threads sharing the two words at `state` (zeroed before the
/// first use) have all called it. The last to arrive bumps the generation (word 1) and wakes the
/// others; the others spin briefly, then sleep in the kernel (futex), so that on an
/// oversubscribed node a waiting rank gives its core to one still working. Ordering: what a
/// rank stored before the barrier is visible to every rank after it.
static inline void csystem_shared_barrier(uint32_t *state, uint32_t ranks) {
    uint32_t *arrived = state, *generation = state + 1;
    uint32_t current = __atomic_load_n(generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(arrived, 1, __ATOMIC_ACQ_REL) == ranks) {
        __atomic_store_n(arrived, 0, __ATOMIC_RELAXED);  // before the generation moves on: nobody has left yet
        __atomic_store_n(generation, current + 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, generation, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
        return;
    }
    for (int spin = 0; spin < 2000; spin++) {  // about 50 us
        if (__atomic_load_n(generation, __ATOMIC_ACQUIRE) != current) return;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
    }
    while (__atomic_load_n(generation, __ATOMIC_ACQUIRE) == current) {
        syscall(SYS_futex, generation, FUTEX_WAIT, current, NULL, NULL, 0);
    }
}

#endif
