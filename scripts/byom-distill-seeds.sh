#!/usr/bin/env bash
# The stage-2 loss comparison of docs/bring-your-own-model.md: the learn test's configuration
# (test/fixtures/train_small_resnet.py's residual CNN, cut after its second stage, 16 channels at
# 4 bits, tail fine-tuned, 12,000 unlabelled images) trained with `--distill mse` and
# `--distill kl` at seeds 0, 1 and 2; each bundle also measured by `cleave eval` on the 10,000
# test images. Writes `cleave ... --json` output to OUT (default docs/bench/distill-seeds-DATE).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/bench/distill-seeds-$(date +%F)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cleave() { node cli/bin/cleave.js "$@"; }
/usr/bin/python3 test/fixtures/train_small_resnet.py "$work" --train 12000 --epochs 5 --unlabeled 12000 \
  > "$out/small-fixture.json"
for loss in mse kl; do
  for seed in 0 1 2; do
    name=c16-tt-$loss-s$seed
    cleave split "$work/model.onnx" --at /stage1/stage1.1/Relu_output_0 --calib "$work/unlabeled.npy" \
      --mean 0.286 --std 0.353 --learn --channels 16 --tune-tail --distill "$loss" --seed "$seed" \
      --json "$out/$name.json" --out "$work/models/$name" > /dev/null
    cleave eval --models "$work/models" --bundle "$name" --json > "$out/$name-eval.json"
  done
done
echo "wrote $out"
