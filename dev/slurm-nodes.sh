#!/usr/bin/env bash
# A SLURM cluster of several nodes on this machine, each node a network
# namespace of its own, for the multi-node launcher tests
# (tests/testthat/test-launcher-slurm-nodes.R) and bench/cluster.R:
#
#   bash dev/slurm-nodes.sh start            # prints the SLURM_CONF to export
#   bash dev/slurm-nodes.sh kill-node I      # node I vanishes
#   bash dev/slurm-nodes.sh revive-node I    # node I comes back, idle
#   bash dev/slurm-nodes.sh stop
#
# slurmctld runs in the calling (client's) namespace and listens on the
# bridge TAGbr at NET.1. Node I (crewnode<I>) is slurmd in namespace TAG<I>,
# at NET.<10+I> on a veth pair TAGv<I> <-> eth0 enslaved to the bridge, with
# a UTS namespace of its own whose host name is the node's name, as on a
# real cluster. slurmd starts job steps inside its namespaces, so workers
# live there and dial the client at NET.1. One munged with a key of its own
# serves every node through its socket file in the state directory.
#
# Settings (environment): CREW_SLURM_NODES_DIR (state directory, default
# /tmp/crew-slurm-nodes), CREW_SLURM_NODES_TAG (namespace and link prefix,
# default csn), CREW_SLURM_NODES_NET (first three octets, default 10.214.0),
# CREW_SLURM_NODES_PORT (slurmctld's port, slurmd's is the next, default
# 6937), CREW_SLURM_NODES (number of nodes, default 4) and
# CREW_SLURM_NODES_CPUS (CPUs of each node, default 4, more than this
# machine may have: slurmd takes the configured figures). Every address is
# on links that exist only between these namespaces. munged keeps its
# socket in the state directory and insists that everyone may enter it, so
# its parents must be searchable by all (not in a directory of mode 0700).
# `start` removes the leftovers of the same state directory and tag
# first; `stop` ends the daemons and every process in the namespaces, and
# removes namespaces, links, bridge and state directory. Needs root, iproute2, unshare and
# the Debian packages slurm-wlm and munge (dev/install-deps.sh --slurm
# --netns).
set -euo pipefail

state="${CREW_SLURM_NODES_DIR:-/tmp/crew-slurm-nodes}"
tag="${CREW_SLURM_NODES_TAG:-csn}"
net="${CREW_SLURM_NODES_NET:-10.214.0}"
ctld_port="${CREW_SLURM_NODES_PORT:-6937}"
nodes="${CREW_SLURM_NODES:-4}"
cpus="${CREW_SLURM_NODES_CPUS:-4}"
conf="$state/slurm.conf"
bridge="${tag}br"
# Interface names have at most 15 characters.
if ((${#bridge} > 15 || ${#tag} + 1 + ${#nodes} > 15)); then
  echo "slurm-nodes: tag $tag is too long for interface names" >&2
  exit 2
fi

say() { echo "slurm-nodes: $*" >&2; }

node_name() { echo "crewnode$1"; }
node_address() { echo "$net.$((10 + $1))"; }

stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop_pidfile() {
  [[ -s "$1" ]] && stop_pid "$(cat "$1")"
  return 0
}

# Every process in the namespace (slurmd, its job steps, their workers).
kill_namespace() {
  local ns="$1" pids
  pids="$(ip netns pids "$ns" 2>/dev/null || true)"
  [[ -n "$pids" ]] || return 0
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
  for _ in $(seq 50); do
    [[ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ]] && return 0
    sleep 0.1
  done
}

start_munge() {
  install -d -o munge -g munge -m 0755 "$state/munge"
  dd if=/dev/urandom bs=1 count=1024 of="$state/munge/munge.key" 2>/dev/null
  chown munge:munge "$state/munge/munge.key"
  chmod 0400 "$state/munge/munge.key"
  runuser -u munge -- /usr/sbin/munged \
    --socket="$state/munge/munge.socket" \
    --key-file="$state/munge/munge.key" \
    --pid-file="$state/munge/munged.pid" \
    --seed-file="$state/munge/munged.seed" \
    --log-file="$state/munge/munged.log"
  for _ in $(seq 50); do
    munge -S "$state/munge/munge.socket" -n </dev/null >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "munged did not start; log in $state/munge"
  return 1
}

write_conf() {
  local node_lines="" names i
  for i in $(seq "$nodes"); do
    node_lines+="NodeName=$(node_name "$i") NodeAddr=$(node_address "$i") NodeHostname=$(node_name "$i") CPUs=$cpus State=UNKNOWN"$'\n'
  done
  names="$(node_name 1)"
  ((nodes > 1)) && names="crewnode[1-$nodes]"
  cat >"$conf" <<EOF
ClusterName=crewnodes
SlurmctldHost=$(hostname -s)($net.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket
MpiDefault=none
# Without systemd there are no delegated cgroups: processes are tracked by
# their parent links, and tasks are not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Start batch jobs as soon as they are submitted, not every few seconds.
SchedulerParameters=batch_sched_delay=0
# Every node shares this machine's CPUs: take the configured ones.
SlurmdParameters=config_overrides
ReturnToService=2
# A job on a node that fails ends there: crew launches replacements itself.
JobRequeue=0
KillWait=3
MailProg=/bin/true
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool/%n
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd-%n.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd-%n.log
${node_lines}PartitionName=crew Nodes=$names Default=YES MaxTime=INFINITE State=UP
EOF
}

# Node I's namespace and its veth pair into the bridge.
link_node() {
  local i="$1" ns="${tag}$1" veth="${tag}v$1"
  ip netns list | awk '{print $1}' | grep -qx "$ns" || ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$bridge"
  ip link set "$veth" up
  ip -n "$ns" addr add "$(node_address "$i")/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$net.1"
}

start_slurmd() {
  local i="$1" name
  name="$(node_name "$i")"
  mkdir -p "$state/spool/$name"
  # nsenter rather than `ip netns exec`, which remounts /sys and so hides
  # the cgroup file system that slurmd looks for.
  nsenter --net="/run/netns/${tag}$i" unshare --uts sh -c \
    "hostname $name && exec slurmd -f '$conf' -N $name" || {
    say "slurmd of $name did not start; log in $state/slurmd-$name.log"
    return 1
  }
}

# Waits until each node named is idle in sinfo.
wait_idle() {
  local states missing name
  for _ in $(seq 150); do
    states="$(sinfo -h -N -o "%N %T" 2>/dev/null || true)"
    missing=0
    for name in $1; do
      grep -qx "$name idle" <<<"$states" || missing=1
    done
    ((missing == 0)) && return 0
    sleep 0.2
  done
  return 1
}

start() {
  if [[ $(id -u) -ne 0 ]]; then
    say "must run as root"
    return 1
  fi
  for tool in slurmctld slurmd sbatch munged ip unshare; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || {
      say "$tool is missing (bash dev/install-deps.sh --slurm --netns)"
      return 1
    }
  done
  stop >/dev/null 2>&1 || true
  mkdir -p "$state/ctld" "$state/spool"
  write_conf
  start_munge
  export SLURM_CONF="$conf"
  ip link add "$bridge" type bridge
  ip addr add "$net.1/24" dev "$bridge"
  ip link set "$bridge" up
  for i in $(seq "$nodes"); do
    link_node "$i"
  done
  slurmctld -f "$conf"
  local all=""
  for i in $(seq "$nodes"); do
    start_slurmd "$i"
    all+="$(node_name "$i") "
  done
  if wait_idle "$all"; then
    echo "SLURM_CONF=$conf"
    return 0
  fi
  say "the nodes did not all come up; logs in $state"
  sinfo -N >&2 || true
  tail -n 5 "$state"/*.log >&2 || true
  return 1
}

# Node I dies: slurmd, its job steps and their workers are killed (so their
# connections close), then its link goes, as if unplugged.
kill_node() {
  local i="$1"
  kill_namespace "${tag}$i"
  ip link delete "${tag}v$i" 2>/dev/null || true
}

# Node I comes back empty. slurmctld is told first that it was down, so the
# jobs it believed were running there end rather than wait out
# SlurmdTimeout.
revive_node() {
  local i="$1" name
  name="$(node_name "$i")"
  export SLURM_CONF="$conf"
  kill_node "$i"
  scontrol update nodename="$name" state=down reason="revived" 2>/dev/null || true
  link_node "$i"
  start_slurmd "$i"
  scontrol update nodename="$name" state=resume 2>/dev/null || true
  wait_idle "$name" || {
    say "$name did not come back; log in $state/slurmd-$name.log"
    return 1
  }
}

stop() {
  if [[ -s "$conf" ]]; then
    SLURM_CONF="$conf" timeout 10 scancel --quiet --full --user=root 2>/dev/null || true
  fi
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${tag}[0-9]+$" || true); do
    kill_namespace "$ns"
    ip netns delete "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${tag}v[0-9]+$" || true); do
    ip link delete "$link" 2>/dev/null || true
  done
  ip link delete "$bridge" 2>/dev/null || true
  stop_pidfile "$state/slurmctld.pid"
  stop_pidfile "$state/munge/munged.pid"
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill-node) kill_node "$2" ;;
  revive-node) revive_node "$2" ;;
  *)
    echo "usage: $0 start | stop | kill-node I | revive-node I" >&2
    exit 2
    ;;
esac
