#!/bin/sh
# Workers on other hosts, on one machine: network namespaces joined to the
# calling (client's) namespace by veth pairs.
#
#   dev/netns.sh up TAG N   namespaces TAG1 .. TAGN; pair i has TAGc<i>
#                             (10.213.<i>.1/24) on the client's side and eth0
#                             (10.213.<i>.2/24, default route back) inside
#                             namespace TAG<i>. Leftovers of TAG go first.
#   dev/netns.sh down TAG   removes those namespaces and links (deleting a
#                             namespace deletes its end of a pair, and so
#                             the pair).
#   dev/netns.sh check      exits 0 if namespaces can be made here.
#
# Every address is in 10.213.0.0/16 on links that exist only between these
# namespaces, so no test traffic leaves the machine or reaches another
# interface. TAG is short (interface names have at most 15 characters).
set -eu

down() {
  tag=$1
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${tag}[0-9]+$" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${tag}c[0-9]+$" || true); do
    ip link delete "$link" 2>/dev/null || true
  done
}

up() {
  tag=$1
  n=$2
  down "$tag"
  i=1
  while [ "$i" -le "$n" ]; do
    ns="${tag}${i}"
    ip netns add "$ns"
    ip link add "${tag}c${i}" type veth peer name eth0 netns "$ns"
    ip addr add "10.213.${i}.1/24" dev "${tag}c${i}"
    ip link set "${tag}c${i}" up
    ip -n "$ns" addr add "10.213.${i}.2/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "10.213.${i}.1"
    i=$((i + 1))
  done
}

check() {
  [ "$(id -u)" = 0 ] || exit 1
  command -v ip >/dev/null 2>&1 || exit 1
  probe="crewprobe$$"
  ip netns add "$probe" 2>/dev/null || exit 1
  ip netns delete "$probe"
}

case "${1:-}" in
  up) up "$2" "$3" ;;
  down) down "$2" ;;
  check) check ;;
  *) echo "usage: $0 up TAG N | down TAG | check" >&2; exit 2 ;;
esac
