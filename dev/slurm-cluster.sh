#!/usr/bin/env bash
# A real SLURM cluster of one node on this machine, for the launcher
# plugin tests (tests/testthat/test-launcher-slurm.R):
#
#   bash dev/slurm-cluster.sh start   # prints the SLURM_CONF to export
#   bash dev/slurm-cluster.sh stop
#
# Needs root and the Debian packages slurm-wlm and munge (installed by
# dev/install-deps.sh --slurm). Everything it writes lives in one state
# directory (CREW_SLURM_DIR, default /tmp/crew-slurm), with its own ports,
# so it touches no system configuration and can run beside another
# cluster. `stop` ends the daemons it started and removes the directory.
set -euo pipefail

state="${CREW_SLURM_DIR:-/tmp/crew-slurm}"
conf="$state/slurm.conf"
ctld_port="${CREW_SLURM_PORT:-6917}"
node="$(hostname -s)"

say() { echo "slurm-cluster: $*" >&2; }

stop_pidfile() {
  local file="$1"
  if [[ -s "$file" ]]; then
    local pid
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

start_munge() {
  if munge -n </dev/null >/dev/null 2>&1; then
    return 0
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged
  touch "$state/started-munged"
  for _ in $(seq 50); do
    munge -n </dev/null >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "munged did not start"
  return 1
}

write_conf() {
  local cpus memory
  cpus="$(nproc)"
  memory="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
  cat >"$conf" <<EOF
ClusterName=crewtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
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
ReturnToService=2
KillWait=3
MailProg=/bin/true
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  if [[ $(id -u) -ne 0 ]]; then
    say "must run as root"
    return 1
  fi
  for tool in slurmctld slurmd sbatch munged; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || {
      say "$tool is missing (bash dev/install-deps.sh --slurm)"
      return 1
    }
  done
  stop >/dev/null 2>&1 || true
  mkdir -p "$state/ctld" "$state/spool"
  write_conf
  start_munge
  export SLURM_CONF="$conf"
  slurmctld -f "$conf"
  slurmd -f "$conf" -N "$node"
  for _ in $(seq 150); do
    if sinfo -h -N -o "%T" 2>/dev/null | grep -Eq "^(idle|mixed|allocated)"; then
      echo "SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.2
  done
  say "the node did not come up; logs in $state"
  tail -n 5 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
  return 1
}

stop() {
  if [[ -s "$conf" ]]; then
    SLURM_CONF="$conf" scancel --quiet --full --user=root 2>/dev/null || true
  fi
  stop_pidfile "$state/slurmd.pid"
  stop_pidfile "$state/slurmctld.pid"
  if [[ -e "$state/started-munged" ]]; then
    pkill -u munge -x munged 2>/dev/null || true
  fi
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
