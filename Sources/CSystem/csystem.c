#define _GNU_SOURCE
#include "csystem.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

// The masks are 16 words (1024 CPUs), the size of glibc's cpu_set_t.
_Static_assert(sizeof(cpu_set_t) == 16 * sizeof(uint64_t), "cpu_set_t is 1024 bits");

int csystem_usable_cpus(void) {
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0) return 0;
    return CPU_COUNT(&mask);
}

int csystem_may_run_on(int cpu) {
    cpu_set_t mask;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof mask, &mask) != 0) return 0;
    return CPU_ISSET(cpu, &mask) ? 1 : 0;
}

void csystem_shared_barrier(uint32_t *state, uint32_t ranks) {
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
