#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the launcher's tests: munged (as the munge user, with a key of
# its own), slurmctld and slurmd, all state, spool, pid, socket and log files under DIR. `stop` ends exactly the
# processes `start` started (by the pids it recorded), nothing else.
#   usage: tests/slurm/cluster.sh start DIR   |   tests/slurm/cluster.sh stop DIR
# After start, DIR/env holds SLURM_CONF=...; source it (or pass it on) before sbatch, squeue, scancel.
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?a folder for the cluster files}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

stop() {
  for name in slurmd slurmctld munged; do
    local f="$dir/$name.pid"
    [[ -f "$f" ]] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

if [[ $cmd == stop ]]; then stop; exit 0; fi
[[ $cmd == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
for exe in munged slurmctld slurmd sbatch; do
  command -v "$exe" >/dev/null || [[ -x /usr/sbin/$exe ]] || { echo "$exe is not installed (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 2; }
done
mkdir -p "$dir"/{munge,state,spool,log}
chown munge:munge "$dir/munge"; chmod 700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"
sock="$dir/munge/munge.socket"
# munged insists on its own user; --force skips its checks on the permissions of the folders above.
su -s /bin/sh munge -c "/usr/sbin/munged --force --key-file=$dir/munge/munge.key --socket=$sock \
  --pid-file=$dir/munge/munged.pid --log-file=$dir/munge/munged.log --seed-file=$dir/munge/seed"
for _ in $(seq 50); do [[ -s "$dir/munge/munged.pid" ]] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

host=$(hostname -s); cpus=$(nproc)
memkb=$(awk '/MemTotal/ {print $2}' /proc/meminfo); mem=$(( memkb / 1024 - 1024 ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=infra-test
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$(( 20000 + RANDOM % 20000 ))
SlurmdPort=$(( 40000 + RANDOM % 20000 ))
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
MaxArraySize=10000
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
echo "SLURM_CONF=$dir/slurm.conf" > "$dir/env"
/usr/sbin/slurmctld -f "$dir/slurm.conf"
/usr/sbin/slurmd -f "$dir/slurm.conf"
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -qE "^(idle|mixed|allocated)"; then echo "slurm up: $SLURM_CONF"; exit 0; fi
  sleep 0.2
done
echo "slurm did not come up; see $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
stop; exit 1
