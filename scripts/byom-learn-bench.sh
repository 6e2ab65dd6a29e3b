#!/usr/bin/env bash
# The rate-agreement table of docs/bring-your-own-model.md ("A learned bottleneck"), from the
# commands a user would run: the test's small residual CNN (trained here on 12,000 labelled
# Fashion-MNIST images) cut after its second stage, split plain at 8/4/2 bits and learned at 8 and
# 16 channels (4 bits) from 12,000 unlabelled images, each with the tail frozen and with --tune-tail;
# every bundle measured by `cleave eval` on the 10,000 test images. Writes `cleave ... --json`
# output to OUT (default docs/bench/learn-DATE); further arguments go to each `--learn` run
# (e.g. `--distill kl`, the stage-2 loss before MSE became the default).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/bench/learn-$(date +%F)}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cleave() { node cli/bin/cleave.js "$@"; }
cut=/stage1/stage1.1/Relu_output_0
norm=(--mean 0.286 --std 0.353)
/usr/bin/python3 test/fixtures/train_small_resnet.py "$work" --train 12000 --epochs 5 --unlabeled 12000 \
  > "$out/small-fixture.json"
for bits in 8 4 2; do
  cleave split "$work/model.onnx" --at "$cut" --calib "$work/train.npy" "${norm[@]}" --bits "$bits" \
    --out "$work/models/small-plain-b$bits" > /dev/null
  cleave eval --models "$work/models" --bundle "small-plain-b$bits" --json > "$out/small-plain-b$bits-eval.json"
done
for c in 8 16; do
  for tune in "" --tune-tail; do
    name=small-learned-c$c${tune:+-tt}
    cleave split "$work/model.onnx" --at "$cut" --calib "$work/unlabeled.npy" "${norm[@]}" --learn \
      --channels "$c" $tune "$@" --json "$out/$name.json" --out "$work/models/$name" > /dev/null
    cleave eval --models "$work/models" --bundle "$name" --json > "$out/$name-eval.json"
  done
done
echo "wrote $out"
