#!/usr/bin/env bash
# mpirun across the test hosts of hosts.sh over TCP, RANKS_PER_HOST (default 1) slots each:
#   [RANKS_PER_HOST=2] scripts/netns/mpirun.sh -np 4 [--map-by node] .build/release/mnist-mpi [flags]
# mpirun itself runs in mnist-h1; every host's ranks are started through agent.sh. Ranks on one
# host talk through shared memory (vader), across hosts over the veth links only.
# scripts/mpirun.conf makes a daemon whose link is cut count as lost after about 11 s.
# rtc_hwloc_vmhole none: a remote daemon otherwise shares its hardware topology through a
# shared-memory segment placed in the "biggest" hole of its address space, which sometimes
# lands on the stack and crashes orted inside hwloc_shmem_topology_write.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hostfile="$(mktemp)"
trap 'rm -f "$hostfile"' EXIT
"$here/hosts.sh" hostfile "${RANKS_PER_HOST:-1}" > "$hostfile"
ip netns exec mnist-h1 mpirun --allow-run-as-root \
    --tune "$here/../mpirun.conf" \
    --hostfile "$hostfile" \
    --bind-to none \
    --mca plm_rsh_agent "$here/agent.sh" \
    --mca btl tcp,self,vader \
    --mca btl_tcp_if_include 10.231.0.0/24 \
    --mca oob_tcp_if_include 10.231.0.0/24 \
    --mca rtc_hwloc_vmhole none \
    --mca mpi_yield_when_idle 1 \
    "$@"
