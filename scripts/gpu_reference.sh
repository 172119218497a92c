#!/usr/bin/env bash
# The GPU reference run, for one 10-minute call on a lent GPU machine that has no internet.
#
# 1. the throughput bench:   python -m helpers.bench --device cuda
# 2. the degradation experiment (plain/ResNet 20 and 56, 2 seeds, then Figure 7's responses,
#    gradients, lesion and the lr sweep) at profile `reference-gpu` (full Fashion-MNIST,
#    width 16), with the longest schedule (--epochs) that the bench says fits the time left.
#
# Fashion-MNIST (30 MB) travels with the working tree in the ignored folder data/:
#     mkdir -p data/fashion-mnist && cp /usr/share/datasets/fashion-mnist/*.gz data/fashion-mnist/
# then run, from the repository root on the GPU machine (device tool: carry ["data"]):
#     bash scripts/gpu_reference.sh
# Results land in $OUT/results/reference-gpu/*.json (commit them to results/reference-gpu/),
# the bench in $OUT/bench.json, the log in $OUT/gpu_reference.log. Runs finished before a
# time-out are kept (each is written when it ends).
set -uo pipefail
OUT=${OUT:-/tmp/gpu_reference}
PY=${PYTHON:-python3}
LIMIT_S=${LIMIT_S:-570}        # the whole script, inside the call's 600 s
ANALYSES_S=${ANALYSES_S:-45}   # responses, gradients, lesion and lr sweep after training
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 RESNET_BOOK_DATA=$PWD/data
start=$(date +%s)
exec > >(tee "$OUT/gpu_reference.log") 2>&1

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
if ! ls data/fashion-mnist/train-images-idx3-ubyte* > /dev/null 2>&1; then
    echo "data/fashion-mnist/ is missing: copy the 4 Fashion-MNIST .gz files there and carry data/"
    exit 2
fi

# 1. bench (ResNet-20, batch 128, textbook pipeline vs helpers.train); if it fails, the
#    schedule below assumes 5,000 images/s
timeout 150 "$PY" -m helpers.bench --device cuda --steps 30 --repeats 2 --json "$OUT/bench.json"

# 2. the schedule that fits: per-step time of ResNet-20 from the bench, deeper nets scaled by
#    depth (small nets on a GPU are bound by kernel launches, which grow with the layer count)
left=$(( LIMIT_S - ($(date +%s) - start) - ANALYSES_S ))
[ -s "$OUT/bench.json" ] || echo '{"median_images_per_s": {"engine": 5000}}' > /tmp/bench_guess.json
BENCH=$([ -s "$OUT/bench.json" ] && echo "$OUT/bench.json" || echo /tmp/bench_guess.json)
EPOCHS=$("$PY" - "$BENCH" "$left" <<'EOF'
import json, math, sys

bench = json.load(open(sys.argv[1]))
budget = float(sys.argv[2])
s_per_image = 1.0 / bench["median_images_per_s"]["engine"]  # ResNet-20, 32x32, batch 128
s_per_image *= (28 * 28) / (32 * 32)  # Fashion-MNIST images are 28x28
depth_units = sum((20, 56, 20, 56)) / 20  # plain-20, plain-56, ResNet-20, ResNet-56
seeds, train, test = 2, 60_000, 10_000
per_epoch = seeds * depth_units * s_per_image * (train + test / 3)  # + one test pass
print(max(1, min(40, math.floor(0.85 * budget / per_epoch))))
EOF
)
EPOCHS=${EPOCHS:-2}
echo "schedule: $EPOCHS epochs of 60,000 images for each of 8 runs (${left}s left)"
left=$(( LIMIT_S - ($(date +%s) - start) ))
timeout --signal=TERM "$left" "$PY" -m helpers.reproduce --profile reference-gpu \
    --epochs "$EPOCHS" --out "$OUT/results" --checkpoints /tmp/reference-gpu-checkpoints
status=$?
echo "reproduce exit status $status after $(( $(date +%s) - start )) s"
ls -la "$OUT/results/reference-gpu" || true
