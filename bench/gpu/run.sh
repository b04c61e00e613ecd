#!/usr/bin/env bash
# The one GPU check (issue 22), in two halves because the GPU machine has PyTorch but no .NET SDK:
#
#   bench/gpu/run.sh prepare        here: publish infra and the bench self-contained for linux-x64 with
#                                   -p:TorchBackend=none (no libtorch inside: the GPU machine's own PyTorch is used,
#                                   through INFRASHARP_LIBTORCH) into bench/gpu/out/ (git-ignored, well under the
#                                   64 MiB a device call may carry);
#   bench/gpu/run.sh [OUT]          on the GPU machine (the device tool's `run`, carrying bench/gpu/out): points
#                                   INFRASHARP_LIBTORCH at python3's torch/lib, prints `infra --version`, runs the
#                                   kronfluence parity check of the tests on the GPU in float32 and bfloat16 (both
#                                   fixtures, EK-FAC, damping 1e-8, Pearson r and relative L2 against kronfluence's
#                                   float32 scores), then the 0.5B-shape benchmark at 256 x 512 tokens with 16 queries
#                                   (bench/real-model/run.sh), with the GPU's matmul rates and its peak memory, beside
#                                   kronfluence's figures on an H200: factors 99.6 s, pairwise 13.2 training
#                                   examples/s at 16 queries, 30-41 GiB.
#
# DEVICE=cpu runs the same second half on the CPU (with INFRASHARP_LIBTORCH set by hand), which is how the script
# itself is checked on a machine without a GPU; SKIP_REAL=1 leaves out the 0.5B benchmark.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/bench/gpu/out"

if [[ ${1:-} == prepare ]]; then
  rm -rf "$BIN.tmp" && mkdir -p "$BIN.tmp"
  # Both into one folder: they share the runtime and every dependency, which keeps the archive under the limit.
  for p in src/InfraSharp.Cli bench/InfraSharp.Bench; do
    dotnet publish "$ROOT/$p" -c Release -r linux-x64 --self-contained -p:TorchBackend=none -nologo -v q \
      -p:DebugType=none -o "$BIN.tmp/bin"
  done
  tar -C "$BIN.tmp" -cJf "$BIN.tmp/bin.tar.xz" bin
  rm -rf "$BIN" && mkdir -p "$BIN" && mv "$BIN.tmp/bin.tar.xz" "$BIN/" && rm -rf "$BIN.tmp"
  ls -la "$BIN"
  exit 0
fi

OUT=${1:-/tmp/infra-gpu}; DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
[[ -d "$OUT/bin" ]] || tar -C "$OUT" -xJf "$BIN/bin.tar.xz"
if [[ -z "${INFRASHARP_LIBTORCH:-}" ]]; then
  INFRASHARP_LIBTORCH="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib"
fi
export INFRASHARP_LIBTORCH
export NUGET_PACKAGES=/nonexistent # TorchSharp must not look for natives in a package cache
INFRA="$OUT/bin/infra"; BENCH="$OUT/bin/InfraSharp.Bench"
REPORT="$OUT/report.md"
{
  echo "# GPU check ($(date -u +%FT%TZ))"; echo
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  echo; echo '```'; "$INFRA" --version; echo '```'; echo
  if [[ $DEVICE == cuda ]]; then echo '```'; "$BENCH" matmul cuda; echo '```'; echo; fi
} | tee "$REPORT"

# Parity: the tests' DTypeParityTests, through the CLI on the device, against kronfluence's float32 EK-FAC scores.
echo "| fixture | dtype | pearson r | relative L2 | factors s | scores s |" | tee -a "$REPORT"
echo "|---|---|---|---|---|---|" | tee -a "$REPORT"
for name in tiny-qwen2 tiny-llama; do
  for dtype in float32 bfloat16; do
    fx="$ROOT/tests/data/fixtures/$name"; w="$OUT/parity/$name-$dtype"
    rm -rf "$w" && mkdir -p "$w"
    t0=$(date +%s.%N)
    "$INFRA" factors --model "$fx/model" --data "$fx/train.jsonl" --strategy ekfac --dtype "$dtype" \
      --device "$DEVICE" --out "$w/factors" 2> "$w/factors.log"
    t1=$(date +%s.%N)
    "$INFRA" scores pairwise --model "$fx/model" --factors "$w/factors" --train "$fx/train.jsonl" \
      --queries "$fx/queries.jsonl" --damping 1e-8 --dtype "$dtype" --device "$DEVICE" --out "$w/scores" \
      2> "$w/scores.log"
    t2=$(date +%s.%N)
    python3 - "$w/scores/pairwise.safetensors" "$fx/kronfluence_scores.safetensors" "$name" "$dtype" \
      "$t0" "$t1" "$t2" <<'PY' | tee -a "$REPORT"
import array, json, math, struct, sys
def read(path, key):  # one float32 tensor of a safetensors file, flattened (no numpy needed)
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; m = json.loads(f.read(n))[key]
        f.seek(8 + n + m["data_offsets"][0]); raw = f.read(m["data_offsets"][1] - m["data_offsets"][0])
    assert m["dtype"] == "F32", m["dtype"]
    return list(array.array("f", raw))
ours, ref = read(sys.argv[1], "scores"), read(sys.argv[2], "pairwise.ekfac_empirical")
mo, mr = sum(ours) / len(ours), sum(ref) / len(ref)
cov = sum((a - mo) * (b - mr) for a, b in zip(ours, ref))
r = cov / math.sqrt(sum((a - mo) ** 2 for a in ours) * sum((b - mr) ** 2 for b in ref))
rel = math.sqrt(sum((a - b) ** 2 for a, b in zip(ours, ref)) / sum(b * b for b in ref))
floor = 0.9999 if sys.argv[4] == "float32" else 0.99 # the tests' own thresholds (DTypeParityTests)
t0, t1, t2 = (float(x) for x in sys.argv[5:8])
print(f"| {sys.argv[3]} | {sys.argv[4]} | {r:.6f} | {rel:.2e} | {t1 - t0:.1f} | {t2 - t1:.1f} |"
      + ("" if r >= floor else f" BELOW {floor}"))
PY
  done
done

if [[ -z "${SKIP_REAL:-}" ]]; then
  # The 0.5B shape at 256 x 512 tokens, 16 queries, with the GPU's memory sampled once a second.
  ( while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null; sleep 1; done ) \
    > "$OUT/gpu-memory.txt" &
  sampler=$!
  INFRA="$INFRA" BENCH="$BENCH" "$ROOT/bench/real-model/run.sh" "$OUT/real" 256 "$DEVICE" 16 | tail -20 | tee -a "$REPORT"
  kill "$sampler"
  peak=$(sort -n "$OUT/gpu-memory.txt" | tail -1)
  {
    echo; echo "GPU memory peak: ${peak:-?} MiB"
    echo "kronfluence on an H200 (issue 22): factors 99.6 s for 256 x 512 tokens; pairwise 13.2 training" \
      "examples/s at 16 queries; 30-41 GiB"
  } | tee -a "$REPORT"
fi
echo "report: $REPORT"
