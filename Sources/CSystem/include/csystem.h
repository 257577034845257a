// Small Linux helpers Swift's Glibc module lacks: CPU affinity (glibc declares it only under
// _GNU_SOURCE), mallopt, and a futex-based barrier.
#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <malloc.h>  // mallopt, for Swift
#include <stdint.h>

/// CPUs in this process's affinity mask, or 0 if it cannot be read.
int csystem_usable_cpus(void);

/// 1 if this process may run on `cpu` (its affinity mask holds it), else 0.
int csystem_may_run_on(int cpu);

/// Waits until `ranks` processes or threads sharing the two words at `state` (zeroed before the
/// first use) have all called it. The last to arrive bumps the generation (word 1) and wakes the
/// others; the others spin briefly, then sleep in the kernel (futex), so that on an
/// oversubscribed node a waiting rank gives its core to one still working. Ordering: what a
/// rank stored before the barrier is visible to every rank after it.
void csystem_shared_barrier(uint32_t *state, uint32_t ranks);

#endif
