#!/usr/bin/env bash
# The LDS benchmark of issue 12: identity, diagonal, K-FAC and EK-FAC on the demo task, N random halves.
# Run `infra demo --out DEMO` first (its model folder records how it was trained); this retrains that model on N
# random halves of its training data and scores the strategies against the demo's correctly answered queries.
# The machine's f32 matmul rate is measured before and after, beside the wall time and peak RSS.
#   usage: bench/lds/run.sh DEMO OUT [SUBSETS=32] [SEEDS=1] [QUERIES=DEMO/queries-correct.jsonl]
set -euo pipefail
DEMO=$1; OUT=$2; N=${3:-32}; K=${4:-1}; QUERIES=${5:-$1/queries-correct.jsonl}
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
$BENCH matmul | tee "$OUT/matmul-before.txt"
/usr/bin/time -v -o "$OUT/time.txt" $INFRA validate lds --model "$DEMO/model" --train "$DEMO/data/train.jsonl" \
  --queries "$QUERIES" --out "$OUT" --subsets "$N" --seeds "$K"
$BENCH matmul | tee "$OUT/matmul-after.txt"
grep -E "Elapsed|Maximum resident" "$OUT/time.txt"
cat "$OUT/lds.csv"
