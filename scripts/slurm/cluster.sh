#!/usr/bin/env bash
# A Slurm cluster on this machine, for trying and testing scripts/slurm/mnist-mpi.sbatch:
#   scripts/slurm/cluster.sh up DIR [--hosts N]   start munged, slurmctld and slurmd with their files in DIR
#   scripts/slurm/cluster.sh down DIR             stop them
# Then: export SLURM_CONF=DIR/slurm.conf and use sbatch, squeue, scontrol as usual.
# One node (this machine) by default. With --hosts N, the nodes are the emulated hosts h1..hN of
# scripts/netns/hosts.sh (bring them up first): a slurmd in each, as that host (its network
# namespace, hostname, /dev/shm and core, as agent.sh makes them), slurmctld on h1, and an
# /etc/hosts naming them in their mount namespaces; jobs then span hosts with sbatch -N N, run
# from h1's network (ip netns exec mnist-h1 sbatch ...), where slurmctld is reachable.
# cred_expire=10 (default 120) also sets how long Slurm holds a requeued job before it may
# start again (until the old job's credentials expire), so the requeue test takes seconds.
# SlurmdTimeout=30 (default 300): a host whose link is cut is marked down after 30 s, so a job
# that finished without it is COMPLETED in seconds rather than COMPLETING for minutes.
# Each host has a /tmp of Slurm's own (TmpFS, bound from DIR/tmp/hK in its mount namespace), as
# a real node does: srun --mpi=pmix makes a per-node directory there that the emulated hosts
# would otherwise share ("pmixp_mkdir: ... File exists").
# Needs Debian's slurm-wlm and munge (`scripts/install-deps.sh tests` installs them) and root.
set -euo pipefail
action="${1:?usage: cluster.sh up|down DIR [--hosts N]}"
dir="$(mkdir -p "${2:?usage: cluster.sh up|down DIR [--hosts N]}" && cd "$2" && pwd)"
hosts=0
[ "${3:-}" = --hosts ] && hosts="${4:?--hosts needs a count}"
node="$(hostname -s)"
tmpfs=/run/mnist-slurm-tmp
if [ "$hosts" -gt 0 ]; then
    for k in $(seq 1 "$hosts"); do
        ip netns list | grep -q "^mnist-h$k\b" || { echo "cluster.sh: no test host h$k: run scripts/netns/hosts.sh up $hosts first" >&2; exit 1; }
    done
fi
# ip netns exec mounts a sysfs of its own, without the cgroup file systems slurmd looks for
# (it refuses to start without): the host's cgroup v1 hierarchies, mounted again in the host's
# mount namespace, or cgroup2 where that is what the machine has.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cgroups="mount -t cgroup2 cgroup2 /sys/fs/cgroup"
else
    cgroups="mount -t tmpfs tmpfs /sys/fs/cgroup$(awk '$3 == "cgroup" {
        sub(/^rw,relatime,/, "", $4); printf " && mkdir -p %s && mount -t cgroup -o %s cgroup %s", $2, $4, $2 }' /proc/self/mounts)"
fi
# Runs a client command (sinfo, sbatch, ...) where it reaches slurmctld: from h1's network with --hosts.
client() { if [ "$hosts" -eq 0 ]; then "$@"; else ip netns exec mnist-h1 "$@"; fi; }
# Runs a daemon as test host hK (see the header); as this machine without --hosts.
as_host() {
    local k="$1"; shift
    if [ "$hosts" -eq 0 ]; then "$@"; return; fi
    ip netns exec "mnist-h$k" unshare --uts --mount --propagation private \
        taskset -c "$(( (k - 1) % $(nproc) ))" /bin/sh -c \
        "hostname h$k && mount -t tmpfs -o size=1g tmpfs /dev/shm && mount --bind '$dir/hosts' /etc/hosts && mkdir -p '$dir/tmp/h$k' && mount --bind '$dir/tmp/h$k' $tmpfs && $cgroups && exec \"\$@\"" sh "$@"
}

case "$action" in
up)
    # The daemons must not inherit our caller's descriptors beyond 0-2: a caller waiting for
    # this script to end (a test runner's pipe or socket) would otherwise wait for them too.
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
    done
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$tmpfs"
    chown munge:munge "$dir/munge" && chmod 755 "$dir/munge"  # munged wants its socket directory searchable by all
    if [ ! -f "$dir/munge/munge.key" ]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
        chown munge:munge "$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
    fi
    runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
    cpus="$(nproc)"
    memory="$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
    controller="$node"
    nodes="NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN"
    names="$node"
    if [ "$hosts" -gt 0 ]; then
        # Every host claims the machine's cores (they share them; Slurm need not know), and
        # slurmd believes the configuration rather than its one pinned core.
        controller="h1(10.231.0.1)"
        nodes="$(for k in $(seq 1 "$hosts"); do echo "NodeName=h$k NodeAddr=10.231.0.$k CPUs=$cpus RealMemory=$((memory / hosts)) State=UNKNOWN"; done)"
        names="h[1-$hosts]"
        { echo "127.0.0.1 localhost"; for k in $(seq 1 "$hosts"); do echo "10.231.0.$k h$k"; done; } > "$dir/hosts"
    fi
    cat > "$dir/slurm.conf" <<CONF
ClusterName=mnist
SlurmctldHost=$controller
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
TmpFS=$tmpfs
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
SlurmdTimeout=30
$nodes
PartitionName=debug Nodes=$names Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    as_host 1 /usr/sbin/slurmctld -f "$SLURM_CONF"
    if [ "$hosts" -eq 0 ]; then
        mkdir -p "$dir/spool/$node"
        /usr/sbin/slurmd -f "$SLURM_CONF"
    else
        for k in $(seq 1 "$hosts"); do
            mkdir -p "$dir/spool/h$k"
            as_host "$k" /usr/sbin/slurmd -f "$SLURM_CONF" -N "h$k"
        done
    fi
    # Wait until every node takes jobs.
    count=$(( hosts > 0 ? hosts : 1 ))
    for _ in $(seq 1 60); do
        ready="$(client sinfo -h -N -o %t 2>/dev/null | grep -cE '^(idle|mix|alloc)' || true)"
        if [ "$ready" -eq "$count" ]; then echo "slurm: $count node(s) up: $names (SLURM_CONF=$SLURM_CONF)"; exit 0; fi
        sleep 0.5
    done
    echo "slurm: the nodes did not come up: $(client sinfo -h -N -o '%N %t' 2>&1 | tr '\n' ' '); see $dir/slurmctld.log and $dir/slurmd-*.log" >&2
    exit 1 ;;
down)
    pids=()
    for pidfile in "$dir"/slurmd*.pid "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
    done
    # A job step's slurmstepd outlives its slurmd (a step whose srun was killed stayed, ignoring
    # SIGTERM): those of this cluster, known by the SLURM_CONF they run with, go too.
    for proc in /proc/[0-9]*; do
        [ "$(cat "$proc/comm" 2>/dev/null)" = slurmstepd ] || continue
        if tr '\0' '\n' <"$proc/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then pids+=("${proc#/proc/}"); fi
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
