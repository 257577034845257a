// Small Linux helpers Swift's Glibc module lacks: CPU affinity (glibc declares it only under
// _GNU_SOURCE), mallopt, and a futex-based barrier.
#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <malloc.h>  // mallopt, for Swift
#include <stdint.h>

/// CPUs in this process's affinity mask, or 0 if it cannot be read.
int csystem_usable_cpus(void);

/// The CPU this thread runs on now, or -1.
int csystem_current_cpu(void);

/// Restricts this process to `cpu`, first saving its affinity mask in `saved` (16 words) for
/// `csystem_restore_affinity`. Returns 0, or -1 if the mask cannot be read or `cpu` is not
/// allowed (a cpuset without it).
int csystem_pin_to_cpu(int cpu, uint64_t *saved);

/// Puts back the affinity mask `csystem_pin_to_cpu` saved.
void csystem_restore_affinity(const uint64_t *saved);

/// Waits until `ranks` processes or threads sharing the two words at `state` (zeroed before the
/// first use) have all called it. The last to arrive bumps the generation (word 1) and wakes the
/// others; the others spin briefly, then sleep in the kernel (futex), so that on an
/// oversubscribed node a waiting rank gives its core to one still working. Ordering: what a
/// rank stored before the barrier is visible to every rank after it.
void csystem_shared_barrier(uint32_t *state, uint32_t ranks);

#endif
