#!/usr/bin/env bash
# An emulated cluster on this machine (root needed): N test hosts h1..hN, each a network
# namespace mnist-hK with address 10.231.0.K/24, plugged by a veth pair into a bridge (the
# "switch", namespace mnist-sw). Each host's link can be shaped in both directions with tbf:
#   scripts/netns/hosts.sh up [N] [--rate RATE]   N = 2 (default) to 8; RATE as tc says it, e.g. 1gbit
#   scripts/netns/hosts.sh down | cut hK | status | hostfile RANKS_PER_HOST
# Processes become a host's with agent.sh (its own hostname, /dev/shm and cores), which
# mpirun.sh uses as OpenMPI's launch agent. This kernel has no netem: latency is the veth's own.
set -euo pipefail
subnet=10.231.0

existing() { ip netns list | sed -n 's/^mnist-\(h[0-9]*\).*/\1/p' | sort -V; }

case "${1:-}" in
    up)
        shift
        n=2
        rate=""
        while [ $# -gt 0 ]; do
            case "$1" in
                --rate) rate="${2:?--rate needs a value, e.g. 1gbit}"; shift 2 ;;
                [0-9]*) n="$1"; shift ;;
                *) echo "hosts.sh: unknown argument $1" >&2; exit 64 ;;
            esac
        done
        [ "$n" -ge 2 ] && [ "$n" -le 8 ] || { echo "hosts.sh: 2 to 8 hosts, not $n" >&2; exit 64; }
        "$0" down
        ip netns add mnist-sw
        ip -n mnist-sw link add mnist-br type bridge
        ip -n mnist-sw link set mnist-br up
        for i in $(seq 1 "$n"); do
            ip netns add "mnist-h$i"
            ip -n "mnist-h$i" link set lo up
            ip link add "mnist-veth$i" type veth peer name "mnist-port$i"
            ip link set "mnist-veth$i" netns "mnist-h$i"
            ip link set "mnist-port$i" netns mnist-sw
            ip -n mnist-sw link set "mnist-port$i" master mnist-br up
            ip -n "mnist-h$i" addr add "$subnet.$i/24" dev "mnist-veth$i"
            ip -n "mnist-h$i" link set "mnist-veth$i" up
            # TCP on the link uses Linux's default congestion control, cubic, whatever this
            # machine's default is: with BBR, a flow over a tbf-shaped link stalled for 50-75 ms
            # a few times every 200 steps (and more often for the hierarchy's pairs).
            ip -n "mnist-h$i" route change "$subnet.0/24" dev "mnist-veth$i" proto kernel scope link \
                src "$subnet.$i" congctl cubic
            if [ -n "$rate" ]; then
                # Both directions of the host's link, as a wire: MTU-sized packets (no
                # segmentation offload, which hands tbf 64 KB packets) through a bucket of 128 KB
                # (85 packets, 1 ms at 1 Gb/s). A deeper bucket (1 MB) fills while a step
                # computes and lets the next exchange leave above the line rate; a shallower one
                # cuts TCP below it here (one stream: 0.74 Gb/s at 32 KB, 0.95 at 128 KB; plan's
                # two-way exchange 0.37-0.52 and 0.94). plan --link-burst-kib 128 models it.
                ip netns exec "mnist-h$i" ethtool -K "mnist-veth$i" gso off tso off gro off >/dev/null
                ip netns exec mnist-sw ethtool -K "mnist-port$i" gso off tso off gro off >/dev/null
                ip netns exec "mnist-h$i" tc qdisc add dev "mnist-veth$i" root tbf rate "$rate" burst 128kb latency 50ms
                ip netns exec mnist-sw tc qdisc add dev "mnist-port$i" root tbf rate "$rate" burst 128kb latency 50ms
            fi
        done
        ;;
    down)
        for h in $(existing) sw; do ip netns del "mnist-$h" 2>/dev/null || true; done
        ;;
    cut)
        # Take a host's link down: its packets vanish, as when a cable or switch port dies.
        k="${2#h}"
        ip -n mnist-sw link set "mnist-port$k" down
        ip -n "mnist-h$k" link set "mnist-veth$k" down
        ;;
    status)
        hosts="$(existing | tr '\n' ' ')"
        [ -n "$hosts" ] || { echo "no test hosts"; exit 0; }
        echo "hosts: $hosts"
        for h in $(existing); do
            ip netns exec "mnist-$h" tc qdisc show dev "mnist-veth${h#h}" | grep -o 'rate [^ ]*' | sed "s/^/$h link /" || true
        done
        ;;
    hostfile)
        # An OpenMPI hostfile of the hosts that are up, RANKS_PER_HOST slots each.
        for h in $(existing); do echo "$h slots=${2:-1}"; done
        ;;
    *)
        echo "usage: $0 up [N] [--rate RATE] | down | cut hK | status | hostfile RANKS_PER_HOST" >&2
        exit 64
        ;;
esac
