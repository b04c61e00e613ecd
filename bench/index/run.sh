#!/usr/bin/env bash
# The gradient index benchmark of issue 13, on the demo task: build throughput beside exact pairwise scoring's,
# bytes per example, and quality against exact EK-FAC (per-query Pearson, Spearman, top-100 overlap) for
# k in {8, 16, 32, 64} and each preconditioner; then query latency against a synthetic store of ROWS x DIM
# (random vectors, written once to STORE), cold and warm. The f32 matmul rate is measured before and after.
# Run `infra demo --out DEMO` first.
#   usage: bench/index/run.sh DEMO OUT [STORE] [ROWS=1000000] [DIM=4096] [QUERIES=DEMO/queries-correct.jsonl]
set -euo pipefail
DEMO=$1; OUT=$2; STORE=${3:-}; ROWS=${4:-1000000}; DIM=${5:-4096}; QUERIES=${6:-$1/queries-correct.jsonl}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release "$ROOT/src/InfraSharp.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$ROOT/bench/InfraSharp.Bench" -v q -nologo >/dev/null
mkdir -p "$OUT"
# Copies of the builds: a rebuild in the checkout while this runs must not replace the files it has loaded.
rm -rf "$OUT/bin" && mkdir -p "$OUT/bin"
cp -r "$ROOT/src/InfraSharp.Cli/bin/Release/net10.0" "$OUT/bin/cli"
cp -r "$ROOT/bench/InfraSharp.Bench/bin/Release/net10.0" "$OUT/bin/bench"
INFRA="dotnet $OUT/bin/cli/infra.dll"
BENCH="dotnet $OUT/bin/bench/InfraSharp.Bench.dll"
TRAIN="$DEMO/data/train.jsonl"
$BENCH matmul | tee "$OUT/matmul-before.txt"

# Exact EK-FAC pairwise scores with the demo's factors (MLP, mean log-probability), timed: the reference for
# quality and for throughput (exact scoring recomputes every training gradient for each batch of queries).
start=$(date +%s.%N)
$INFRA scores pairwise --model "$DEMO/model" --factors "$DEMO/factors" --train "$TRAIN" --queries "$QUERIES" \
  --measurement mean-logprob --out "$OUT/exact" --overwrite 2>"$OUT/exact.log"
exact_s=$(echo "$(date +%s.%N) - $start" | bc)
rows=$(grep -c . "$TRAIN"); queries=$(grep -c . "$QUERIES")
echo "exact pairwise: $rows rows x $queries queries in ${exact_s}s ($(echo "$rows / $exact_s" | bc -l | cut -c1-6) rows/s)" \
  | tee "$OUT/throughput.txt"

echo "| k | preconditioner | build s | rows/s | bytes/row | query s | pearson | spearman | top-100 overlap |" | tee "$OUT/quality.md"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |" | tee -a "$OUT/quality.md"
for k in 8 16 32 64; do
  idx="$OUT/index-k$k"
  start=$(date +%s.%N)
  $INFRA index build --model "$DEMO/model" --train "$TRAIN" --out "$idx" --projection-dim "$k" --precondition ekfac \
    --overwrite 2>"$idx.log" >/dev/null
  build_s=$(echo "$(date +%s.%N) - $start" | bc)
  bytes=$(cat "$idx"/shards/*.shard | wc -c)
  for p in none kfac ekfac; do
    start=$(date +%s.%N)
    $INFRA index query --index "$idx" --queries "$QUERIES" --out "$idx-q-$p" --full-scores --precondition "$p" \
      --measurement mean-logprob 2>"$idx-q-$p.log" >/dev/null
    query_s=$(echo "$(date +%s.%N) - $start" | bc)
    read -r _ pearson _ spearman _ overlap _ <<<"$($BENCH index-compare "$OUT/exact/pairwise.safetensors" "$idx-q-$p/scores.safetensors")"
    echo "| $k | $p | $(printf %.1f "$build_s") | $(echo "$rows / $build_s" | bc -l | cut -c1-6) | $((bytes / rows)) |" \
      "$(printf %.1f "$query_s") | $pearson | $spearman | $overlap |" | tee -a "$OUT/quality.md"
  done
done
$BENCH matmul | tee "$OUT/matmul-after.txt"

if [ -n "$STORE" ]; then
  $BENCH index-store "$STORE" "$ROWS" "$DIM" | tail -1
  $BENCH index-latency "$STORE" 2>/dev/null | tee "$OUT/latency.md"
fi
