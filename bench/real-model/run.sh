#!/usr/bin/env bash
# The real-size benchmark of issue 10: a randomly initialised Qwen2.5-0.5B (exact shape, bf16 safetensors, the real
# tokenizer), MLP-only EK-FAC factors over 64 sequences of 512 tokens and pairwise scores of 8 queries (rank 32) x 64
# training examples, under --max-memory 16GiB. Each stage runs as its own process under /usr/bin/time, so that its
# wall time and peak RSS are its own; the machine's matmul rates are measured before and after. Stages already done
# in OUT are skipped (the factor stages resume), so the benchmark can be continued after an interruption.
#   usage: bench/real-model/run.sh [OUT=/tmp/infra-real-model] [SEQUENCES=64] [DEVICE=cpu] [QUERIES=8]
# INFRA and BENCH, when set, are the commands to run (bench/gpu/run.sh passes a published build); otherwise both are
# built here in Release.
set -euo pipefail
OUT=${1:-/tmp/infra-real-model}; SEQ=${2:-64}; DEVICE=${3:-cpu}; QUERIES=${4:-8}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${INFRA:-}" || -z "${BENCH:-}" ]]; then
  dotnet build -c Release "$ROOT/src/InfraSharp.Cli" -v q -nologo >/dev/null
  dotnet build -c Release "$ROOT/bench/InfraSharp.Bench" -v q -nologo >/dev/null
  INFRA="dotnet $ROOT/src/InfraSharp.Cli/bin/Release/net10.0/infra.dll"
  BENCH="dotnet $ROOT/bench/InfraSharp.Bench/bin/Release/net10.0/InfraSharp.Bench.dll"
fi
mkdir -p "$OUT"; LOG="$OUT/log.md"
M="$OUT/model"; DATA="$OUT/data"; F="$OUT/factors"; S="$OUT/scores"
COMMON=(--dtype bfloat16 --max-memory 16GiB --module-partitions 2 --device "$DEVICE")

# One measured step: wall seconds and peak RSS (KiB) appended to the log.
step() {
  local name=$1; shift
  if [[ -f "$OUT/done.$name" ]]; then echo "skip $name (done)"; return; fi
  /usr/bin/time -v -o "$OUT/time.$name" "$@" 2>&1 | tee "$OUT/stderr.$name" | grep -v "%, " || true
  local rc=${PIPESTATUS[0]}
  [[ $rc == 0 ]] || { echo "$name failed ($rc)"; exit $rc; }
  local wall rss
  wall=$(grep "Elapsed (wall" "$OUT/time.$name" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$OUT/time.$name" | awk '{print $NF}')
  echo "| $name | $wall | $((rss / 1024)) |" >> "$LOG"
  touch "$OUT/done.$name"
}

[[ -f "$LOG" ]] || { echo "| step | wall (h:mm:ss) | peak RSS (MiB) |" > "$LOG"; echo "|---|---|---|" >> "$LOG"; }
$BENCH matmul | tee -a "$OUT/matmul-before.txt"
[[ $DEVICE == cuda ]] && $BENCH matmul cuda | tee -a "$OUT/matmul-before.txt"
[[ -f "$M/config.json" ]] || step init $INFRA init --shape qwen2.5-0.5b --out "$M" --seed 1

if [[ ! -f "$DATA/train.jsonl" ]]; then
  mkdir -p "$DATA"
  # GSM8K solutions, concatenated into texts of well over 512 tokens, encoded, then cut to exactly 512 tokens.
  python3 - "$ROOT/tests/data/datasets/gsm8k" "$DATA" "$SEQ" "$QUERIES" <<'PY'
import json, sys
src, out, n, q = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(f"{src}/train.jsonl")]
texts, i = [], 0
for k in range(n):
    t = ""
    while len(t.split()) < 700:
        r = rows[i % len(rows)]; i += 1
        t += f"Question: {r['question']}\nAnswer: {r['answer']}\n\n"
    texts.append({"id": f"train-{k}", "text": t})
with open(f"{out}/train-text.jsonl", "w") as f:
    for t in texts: f.write(json.dumps(t) + "\n")
test = [json.loads(l) for l in open(f"{src}/test.jsonl")][:q]
with open(f"{out}/queries-text.jsonl", "w") as f:
    for k, r in enumerate(test):
        f.write(json.dumps({"id": f"query-{k}", "text": f"Question: {r['question']}\nAnswer: {r['answer']}"}) + "\n")
PY
  $INFRA encode --model "$M" --data "$DATA/train-text.jsonl" --out "$DATA/train-enc.jsonl" --label-all
  $INFRA encode --model "$M" --data "$DATA/queries-text.jsonl" --out "$DATA/queries.jsonl" --label-all
  python3 - "$DATA" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/train.jsonl", "w") as f:
    for l in open(f"{d}/train-enc.jsonl"):
        r = json.loads(l)
        assert len(r["input_ids"]) >= 512, len(r["input_ids"])
        f.write(json.dumps({"id": r["id"], "input_ids": r["input_ids"][:512], "labels": r["labels"][:512]}) + "\n")
PY
fi

$INFRA plan --model "$M" --modules mlp --queries "$QUERIES" --query-rank 32 --examples "$SEQ" --max-memory 16GiB \
  --dtype bfloat16 --json > "$OUT/plan.json"
$INFRA plan --model "$M" --modules mlp --queries "$QUERIES" --query-rank 32 --examples "$SEQ" --max-memory 16GiB \
  --dtype bfloat16 --module-partitions 2 > "$OUT/plan.txt"
for stage in covariance eigen lambda; do
  step "factors-$stage" $INFRA factors --model "$M" --data "$DATA/train.jsonl" --out "$F" --modules mlp --stage $stage "${COMMON[@]}"
done
step scores $INFRA scores pairwise --model "$M" --factors "$F" --train "$DATA/train.jsonl" --queries "$DATA/queries.jsonl" \
  --out "$S" --query-rank 32 "${COMMON[@]}"
$BENCH matmul | tee -a "$OUT/matmul-after.txt"
echo "disk: factors $(du -sb "$F" | cut -f1) bytes, scores $(du -sb "$S" | cut -f1) bytes" | tee -a "$LOG"
cat "$LOG"
