#!/bin/bash
# Runs deploy/slurm on a real single-node Slurm on this machine (slurm-wlm + munge, started here,
# stopped at the end) and checks that the merged database's fleet tables equal an unsharded run's.
# Skips (exit 0) when Slurm or munge is not installed or when not root; never part of CI by default.
#   deploy/slurm/test-local.sh [path/to/hasim]
set -euo pipefail
cd "$(dirname "$0")/../.."
HASIM_BIN="$(realpath "${1:-.build/debug/hasim}")"
for tool in sbatch squeue slurmctld slurmd munged python3; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool not installed (apt-get install slurm-wlm munge)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "skipped: slurmd needs root here"; exit 0; }
[ -x "$HASIM_BIN" ] || { echo "no hasim binary at $HASIM_BIN (swift build first)"; exit 1; }

work="$(mktemp -d /tmp/hasim-slurm.XXXXXX)"
started_munge=""
cleanup() {
    for f in "$work"/slurmd.pid "$work"/slurmctld.pid; do
        [ -f "$f" ] || continue
        p="$(cat "$f")"; kill "$p" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    done
    [ -n "$started_munge" ] && [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# munge: a key of its own, started by pid file so only it is stopped.
mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
[ -s /etc/munge/munge.key ] || { head -c 1024 /dev/urandom > /etc/munge/munge.key; }
chown -R munge: /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
    munged --force 2>/dev/null
    started_munge=1
fi

host="$(hostname)"
mem=$(( $(free -m | awk '/^Mem:/ {print $7}') * 8 / 10 ))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=hasim
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 30); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done

cat > "$work/single.yaml" <<YAML
name: crashing single server
duration: 1h
topology:
  sites:
    idc1: [db1, app1]
  databases:
    db1: {role: primary}
architecture:
  strategy: single
workload:
  client: app1
  writes_per_second: 5
  probe_interval: 1s
fault_processes:
  mysqld: {afr: 8760, mttr: 1m, repair_sigma: 0.5}
YAML
args="--clusters 2 --horizon 2h --replications 6 --library 2 --window 5m --warmup 30s --serial"
cd "$work"
export HASIM="$HASIM_BIN" HASIM_FLEET_ARGS="$args" HASIM_SHARDS="$work/shards"
merge_job=$("$OLDPWD/deploy/slurm/submit.sh" 3 "$work/merged.sqlite" "$work/single.yaml" | tail -1)
for _ in $(seq 1 300); do [ -z "$(squeue -h -j "$merge_job" 2>/dev/null)" ] && break; sleep 1; done
# shellcheck disable=SC2086
"$HASIM_BIN" fleet "$work/single.yaml" $args --quiet --out "$work/whole.sqlite"
python3 - "$work/whole.sqlite" "$work/merged.sqlite" <<'PY'
import sqlite3, sys
def dump(p):
    c = sqlite3.connect(p)
    q = ["SELECT scenario_name, strategy, clusters, replications, seed, config_json, library_runs, compound_incidents FROM fleet_studies ORDER BY id",
         "SELECT name, unit, mean, ci_low, ci_high FROM fleet_metrics ORDER BY study_id, rowid",
         "SELECT replication, name, value FROM fleet_replications ORDER BY study_id, rowid"]
    return [c.execute(s).fetchall() for s in q]
a, b = dump(sys.argv[1]), dump(sys.argv[2])
assert len(a[2]) > 0, "no replications stored"
if a != b:
    print("FAIL: the merged Slurm shards differ from the unsharded run"); sys.exit(1)
print(f"ok: Slurm array of 3 shards merged = unsharded ({len(a[2])} replication values, {len(a[1])} metrics)")
PY
