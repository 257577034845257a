#!/usr/bin/env bash
# Two test "hosts" on this machine for multi-host runs: network namespaces mnist-h1 and
# mnist-h2 joined by a veth pair, 10.231.0.1/24 and 10.231.0.2/24 (needs root).
#   scripts/netns/hosts.sh up | down | cut h2 | status
set -euo pipefail
subnet=10.231.0
hosts=(h1 h2)
case "${1:-}" in
    up)
        "$0" down 2>/dev/null || true
        for h in "${hosts[@]}"; do ip netns add "mnist-$h"; ip -n "mnist-$h" link set lo up; done
        ip link add mnist-veth1 type veth peer name mnist-veth2
        for i in 1 2; do
            ip link set "mnist-veth$i" netns "mnist-h$i"
            ip -n "mnist-h$i" addr add "$subnet.$i/24" dev "mnist-veth$i"
            ip -n "mnist-h$i" link set "mnist-veth$i" up
        done
        ip -n mnist-h1 link show mnist-veth1 | grep -q "state UP\|LOWERLAYERUP\|UP,"
        ;;
    down)
        for h in "${hosts[@]}"; do ip netns del "mnist-$h" 2>/dev/null || true; done
        ;;
    cut)
        # Take a host's link down: its packets vanish, as when a cable or switch port dies.
        n="${2#h}"
        ip -n "mnist-h$n" link set "mnist-veth$n" down
        ;;
    status)
        ip netns list | grep mnist- || echo "no test hosts"
        ;;
    *)
        echo "usage: $0 up|down|cut h1|h2|status" >&2
        exit 64
        ;;
esac
