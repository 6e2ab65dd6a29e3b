#!/usr/bin/env bash
# Makes sure the Debian packages the test suite needs are present.
# As root it installs what is missing with apt-get; otherwise it fails with the exact
# install line, so a test never skips silently because a tool is missing.
set -euo pipefail

# package:check-command pairs. A check is a shell snippet that succeeds when the package works.
deps=(
  "python3-torch:/usr/bin/python3 -c 'import torch'"
  "python3-onnx:/usr/bin/python3 -c 'import onnx'"
  "python3-numpy:/usr/bin/python3 -c 'import numpy'"
  "python3-grpcio:/usr/bin/python3 -c 'import grpc'"
  "python3-grpc-tools:/usr/bin/python3 -c 'import grpc_tools.protoc'"
  "python3-torchvision:/usr/bin/python3 -c 'import torchvision'"
  "prometheus:command -v promtool && command -v prometheus"
  "chromium:command -v chromium"
  "nats-server:command -v nats-server"
  "kubectl:command -v kubectl"
  "systemd:command -v systemd-analyze"
  "iproute2:command -v ip && command -v tc"
  "openssl:command -v openssl"
  # Stream sources (docs/streams.md): the agent decodes cameras and clips with ffmpeg, and the
  # stream tests make their clips, RTSP camera and MJPEG server with it (libx264 included).
  "ffmpeg:command -v ffmpeg && command -v ffprobe"
  # The arm64 agent test (test/deploy/arm64-agent.test.ts): qemu-aarch64 runs arm64 programs,
  # and the cross packages give them arm64 glibc, libstdc++ and libgcc under /usr/aarch64-linux-gnu.
  "qemu-user:command -v qemu-aarch64"
  "libc6-arm64-cross:test -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1"
  "libstdc++6-arm64-cross:test -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6"
  "libgcc-s1-arm64-cross:test -e /usr/aarch64-linux-gnu/lib/libgcc_s.so.1"
)

missing=()
for dep in "${deps[@]}"; do
  pkg=${dep%%:*}
  check=${dep#*:}
  if ! bash -c "$check" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "ensure-system-deps: install them with: sudo $line" >&2
  exit 1
fi
echo "ensure-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
