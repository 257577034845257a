#!/bin/sh
# OpenMPI launch agent (plm_rsh_agent) for the test hosts: where mpirun would run
# `ssh hK <command>`, this runs <command> as host hK: in network namespace mnist-hK, with its
# own hostname and /dev/shm (new UTS and mount namespaces), so that OpenMPI and
# MPI_Comm_split_type group ranks by host as on a cluster, and on a core of its own
# (host K on core (K-1) mod cores; mpirun.sh passes --bind-to none to keep it).
host="$1"
shift
k="${host#h}"
core=$(( (k - 1) % $(nproc) ))
exec ip netns exec "mnist-$host" unshare --uts --mount --propagation private \
    taskset -c "$core" /bin/sh -c "hostname $host && mount -t tmpfs -o size=1g tmpfs /dev/shm && exec $*"
