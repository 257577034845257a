#!/usr/bin/env bash
# mpirun across the namespace test hosts over TCP:
#   scripts/netns/mpirun.sh -np 2 .build/release/mnist-mpi [flags]
# mpirun itself runs in mnist-h1; both ranks are started through agent.sh.
# The keepalive settings make a daemon whose link is cut count as lost after about
# 5 + 2 x 3 = 11 s (OpenMPI's defaults, 300 + 20 x 9 s, would take 8 minutes).
# rtc_hwloc_vmhole none: a remote daemon otherwise shares its hardware topology through a
# shared-memory segment placed in the "biggest" hole of its address space, which sometimes
# lands on the stack and crashes orted inside hwloc_shmem_topology_write.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec ip netns exec mnist-h1 mpirun --allow-run-as-root \
    --hostfile "$here/hostfile" \
    --mca plm_rsh_agent "$here/agent.sh" \
    --mca btl tcp,self \
    --mca btl_tcp_if_include 10.231.0.0/24 \
    --mca oob_tcp_if_include 10.231.0.0/24 \
    --mca oob_tcp_keepalive_time 5 \
    --mca oob_tcp_keepalive_intvl 2 \
    --mca oob_tcp_keepalive_probes 3 \
    --mca rtc_hwloc_vmhole none \
    "$@"
