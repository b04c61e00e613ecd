#!/usr/bin/env bash
# Issue 11's scaling figure: the same pairwise scores run (identity strategy: the scores step and its merge only)
# as 1, 2 and 4 Slurm array tasks of 1 CPU each on a local one-node cluster (tests/slurm/cluster.sh). Reports the
# wall time from submission to `infra launch status` = complete, the span of the scores step (first task start to
# last task end, from the tasks' status files), and the rest as launch + merge overhead.
#   usage: bench/slurm-scaling/run.sh [MODEL_DIR] [TRAIN] [QUERIES]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
F="$ROOT/tests/data/fixtures/tiny-qwen2"
M=${1:-$F/model}; D=${2:-$F/train.jsonl}; Q=${3:-$F/queries.jsonl}
CONFIG=${INFRA_CONFIG:-Release}
dotnet build -c "$CONFIG" "$ROOT/src/InfraSharp.Cli" -v q -nologo >/dev/null
INFRA="dotnet $ROOT/src/InfraSharp.Cli/bin/$CONFIG/net10.0/infra.dll"
dotnet build -c "$CONFIG" "$ROOT/bench/InfraSharp.Bench" -v q -nologo >/dev/null
BENCH="dotnet $ROOT/bench/InfraSharp.Bench/bin/$CONFIG/net10.0/InfraSharp.Bench.dll"
# The machine's own matmul rate in the same run, before and after (the times only mean something beside it).
$BENCH matmul | head -1 | sed 's/^/before: /'
work=$(mktemp -d /tmp/infra-scaling.XXXXXX); chmod 755 "$work"   # munged runs as munge and must reach its folder
"$ROOT/tests/slurm/cluster.sh" start "$work/slurm" >/dev/null
trap '"$ROOT/tests/slurm/cluster.sh" stop "$work/slurm"; rm -rf "$work"' EXIT
export SLURM_CONF="$work/slurm/slurm.conf"
echo "| tasks | wall, submit to complete (s) | scores step span (s) | launch + merge overhead (s) |"
echo "|---|---|---|---|"
for tasks in 1 2 4; do
  out="$work/run-$tasks"
  t0=$(date +%s.%N)
  $INFRA launch slurm --model "$M" --data "$D" --queries "$Q" --out "$out" --strategy identity \
    --data-partitions $tasks --cpus 1 --mem 2G --submit >/dev/null 2>&1
  while true; do
    rc=0; $INFRA launch status "$out" >/dev/null 2>&1 || rc=$?
    [[ $rc == 3 ]] || break; sleep 0.5
  done
  t1=$(date +%s.%N)
  [[ $rc == 0 ]] || { $INFRA launch status "$out"; exit 1; }
  s="$out/launch/status/scores"
  span=$(python3 -c "import glob,sys; st=[float(open(f).read()) for f in glob.glob('$s/*.started')]; en=[float(open(f).read()) for f in glob.glob('$s/*.done')]; print(f'{max(en)-min(st):.1f}')")
  python3 -c "w=$t1-$t0; print(f'| $tasks | {w:.1f} | $span | {w-$span:.1f} |')"
done
$BENCH matmul | head -1 | sed 's/^/after: /'
