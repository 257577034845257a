#!/bin/sh
# OpenMPI launch agent (plm_rsh_agent) for the test hosts: where mpirun would run
# `ssh h2 <command>`, this runs <command> inside network namespace mnist-h2.
host="$1"
shift
exec ip netns exec "mnist-$host" /bin/sh -c "$*"
