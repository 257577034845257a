#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing scripts/slurm/mnist-mpi.sbatch:
#   scripts/slurm/cluster.sh up DIR     start munged, slurmctld and slurmd with their files in DIR
#   scripts/slurm/cluster.sh down DIR   stop them
# Then: export SLURM_CONF=DIR/slurm.conf and use sbatch, squeue, scontrol as usual.
# cred_expire=10 (default 120) also sets how long Slurm holds a requeued job before it may
# start again (until the old job's credentials expire), so the requeue test takes seconds.
# Needs Debian's slurm-wlm and munge (`scripts/install-deps.sh tests` installs them) and root.
set -euo pipefail
action="${1:?usage: cluster.sh up|down DIR}"
dir="$(mkdir -p "${2:?usage: cluster.sh up|down DIR}" && cd "$2" && pwd)"
node="$(hostname -s)"

case "$action" in
up)
    # The daemons must not inherit our caller's descriptors beyond 0-2: a caller waiting for
    # this script to end (a test runner's pipe or socket) would otherwise wait for them too.
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
    done
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chown munge:munge "$dir/munge" && chmod 755 "$dir/munge"  # munged wants its socket directory searchable by all
    if [ ! -f "$dir/munge/munge.key" ]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
        chown munge:munge "$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
    fi
    runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
    cpus="$(nproc)"
    memory="$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
    cat > "$dir/slurm.conf" <<CONF
ClusterName=mnist
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    /usr/sbin/slurmctld -f "$SLURM_CONF"
    /usr/sbin/slurmd -f "$SLURM_CONF"
    # Wait until the node takes jobs.
    for _ in $(seq 1 60); do
        state="$(sinfo -h -N -o %t 2>/dev/null || true)"
        case "$state" in idle*|mix*|alloc*) echo "slurm: node $node is $state (SLURM_CONF=$SLURM_CONF)"; exit 0 ;; esac
        sleep 0.5
    done
    echo "slurm: the node did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2
    exit 1 ;;
down)
    pids=()
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
    done
    [ ${#pids[@]} -eq 0 ] && exit 0
    kill "${pids[@]}" 2>/dev/null || true
    # A daemon started with SIGTERM blocked (as by some test runners) gets SIGKILL after 5 s.
    for _ in $(seq 1 25); do kill -0 "${pids[@]}" 2>/dev/null || exit 0; sleep 0.2; done
    kill -KILL "${pids[@]}" 2>/dev/null || true ;;
*)
    echo "usage: cluster.sh up|down DIR" >&2
    exit 64 ;;
esac
