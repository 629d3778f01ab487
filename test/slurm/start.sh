#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for test/slurm.test.ts: installs Debian's packages
# when missing (as root), writes a minimal slurm.conf for localhost, starts munged (slurm 22.05's
# default auth/munge), slurmctld and slurmd, and waits until sinfo shows the node idle. Idempotent:
# a cluster already up is left as it is. Logs go to /var/log/slurm-wsr/.
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker='# written by wsr-native test/slurm/start.sh'
logs=/var/log/slurm-wsr
node=$(hostname -s)

idle() { sinfo -h -N -n "$node" -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; }

if command -v sinfo >/dev/null 2>&1 && idle; then
  echo "slurm: already up ($(sinfo -h -o '%P %D %t' | head -1))"
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo "slurm: installing slurmctld slurmd slurm-client munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  echo "slurm: $conf exists and was not written by this script; not touching it" >&2
  exit 1
fi

mkdir -p "$logs" /var/spool/slurmctld /var/spool/slurmd /run/munge /var/lib/munge /var/log/munge
chown slurm:slurm /var/spool/slurmctld "$logs"
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge

cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
cat >"$conf" <<CONF
$marker
ClusterName=wsrtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
# No cgroups in a container: track processes by their parent, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobRequeue=1
KillWait=30
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

if [ ! -s /etc/munge/munge.key ]; then
  (command -v mungekey >/dev/null && mungekey --create --keyfile=/etc/munge/munge.key) ||
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi

if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
fi
munge -n | unmunge >/dev/null

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd

for _ in $(seq 1 60); do
  if idle; then
    echo "slurm: up ($(sinfo -h -o '%P %D %t' | head -1))"
    exit 0
  fi
  # A node that came back from an earlier run may be down: resume it.
  scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm: the node did not become idle; the logs:" >&2
tail -n 30 "$logs/slurmctld.log" "$logs/slurmd.log" >&2 || true
sinfo >&2 || true
exit 1
