#!/usr/bin/env bash
# Installs the Cleave edge agent as a systemd service on JetPack 5/6 (Jetson, arm64) or
# Raspberry Pi OS (arm64); other Linux/systemd hosts work too. Run from a checkout or release
# tarball of this repository, as root:
#
#   sudo deploy/edge/install.sh [--cloud dns:///tail.example.net:50051] [--nats tls://hub:4222]
#                                [--group field] [--id jetson-07] [--no-start]
#   sudo deploy/edge/install.sh --destdir /tmp/stage   # stage the files only: no users, no npm,
#                                                       # no systemctl (what the test runs)
#   deploy/edge/install.sh --destdir /tmp/stage --arch arm64   # stage a release tree for arm64
#
# What it does: checks the architecture and Node >= 20; creates the system user `cleave` and
# the group `cleave-power`; copies the runtime sources and shipped models to /opt/cleave. From a
# checkout it runs `npm ci --omit=dev` there and the unit uses the system's node; from a release
# tarball (`npm run pack:edge`, with release.json) it copies the tarball's node_modules and Node
# as they are, after checking that the tarball is for the target's processor. It installs
# /etc/cleave/agent.yaml (kept if present), agent.env, the unit cleave-agent.service and the
# udev rule for the power sensors; enables and starts the service. Re-running it upgrades
# /opt/cleave and keeps /etc/cleave.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
destdir=""
prefix=/opt/cleave
cloud=""
nats=""
group=""
id=""
start=1
arch=""

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=${2:?--destdir needs a folder}; shift 2 ;;
    --arch) arch=${2:?--arch needs arm64 or x64}; shift 2 ;;
    --prefix) prefix=${2:?}; shift 2 ;;
    --cloud) cloud=${2:?}; shift 2 ;;
    --nats) nats=${2:?}; shift 2 ;;
    --group) group=${2:?}; shift 2 ;;
    --id) id=${2:?}; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 ;;
  esac
done

log() { printf 'cleave install: %s\n' "$*"; }
# System changes: done for real, or only shown when staging into --destdir.
sys() { if [ -n "$destdir" ]; then log "would run: $*"; else "$@"; fi; }

# --- the board ----------------------------------------------------------------------------
board=generic
if [ -r /etc/nv_tegra_release ]; then
  # "# R35 (release), REVISION: 4.1" -> L4T R35 = JetPack 5, R36 = JetPack 6
  l4t=$(sed -n 's/^# R\([0-9]*\).*/\1/p' /etc/nv_tegra_release)
  case "$l4t" in 35) board="jetson (JetPack 5)" ;; 36) board="jetson (JetPack 6)" ;; *) board="jetson (L4T R$l4t)" ;; esac
elif grep -qs 'Raspberry Pi' /proc/device-tree/model; then
  board="$(tr -d '\0' < /proc/device-tree/model)"
fi
log "board: $board, arch: $(uname -m)"
case "$(uname -m)" in
  aarch64|arm64) host_arch=arm64 ;;
  x86_64) host_arch=x64 ;;
  *) echo "install.sh: $(uname -m) is not supported (arm64 or x86_64)" >&2; exit 1 ;;
esac
# The target: this machine, or with --destdir another processor's tree staged here.
arch=${arch:-$host_arch}
case "$arch" in arm64|x64) ;; *) echo "install.sh: --arch $arch: use arm64 or x64" >&2; exit 1 ;; esac
if [ "$arch" != "$host_arch" ] && [ -z "$destdir" ]; then
  echo "install.sh: an $arch install cannot run on this $host_arch machine; stage it with --destdir" >&2
  exit 1
fi

# ELF machine of a binary, from the two bytes at offset 18 (little-endian): b7 00 = arm64.
elf_arch() {
  case "$(od -An -tx1 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n')" in
    b700) echo arm64 ;; 3e00) echo x64 ;; *) echo unknown ;;
  esac
}
# A release tree (npm run pack:edge) carries release.json, its node_modules and Node.
release=""
if [ -f "$src/release.json" ]; then
  release=$(sed -n 's/^ *"arch": *"\([a-z0-9]*\)".*/\1/p' "$src/release.json")
  log "release tree for linux-$release"
  if [ "$release" != "$arch" ]; then
    echo "install.sh: this tarball is for $release, the target is $arch (npm run pack:edge -- --arch $arch)" >&2
    exit 1
  fi
  for bin in node/bin/node node_modules/onnxruntime-node/bin/napi-v6/linux/$arch/onnxruntime_binding.node; do
    got=$(elf_arch "$src/$bin")
    [ "$got" = "$arch" ] || { echo "install.sh: $bin is built for $got, not $arch" >&2; exit 1; }
  done
elif [ "$arch" != "$host_arch" ]; then
  echo "install.sh: staging for $arch from a checkout needs a release tree: npm run pack:edge -- --arch $arch" >&2
  exit 1
fi

if [ -z "$destdir" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (or stage with --destdir)" >&2; exit 1; }
  command -v systemctl >/dev/null || { echo "install.sh: systemd is required" >&2; exit 1; }
fi
# The node the unit runs: the release's own, or the system's.
if [ -n "$release" ]; then
  node_bin="$prefix/node/bin/node"
  node_version=$(sed -n 's/^ *"node": *"\([0-9.]*\)".*/\1/p' "$src/release.json")
  if [ "$arch" = "$host_arch" ]; then node_version=$("$src/node/bin/node" -p process.versions.node); fi
  log "node: $node_version (bundled, $node_bin)"
  node_major=${node_version%%.*}
else
  node_bin=$(command -v node || echo /usr/bin/node)
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
fi
if [ "${node_major:-0}" -lt 20 ]; then
  cat >&2 <<'EOT'
install.sh: Node.js >= 20 is required (JetPack 6 / Ubuntu 22.04 ships 12, Raspberry Pi OS 12
ships 18). Install Node 20 LTS for arm64 first, e.g. from the NodeSource apt repository or the
official linux-arm64 tarball from nodejs.org, so that `node --version` prints v20 or later.
EOT
  exit 1
fi

# --- users and groups -----------------------------------------------------------------------
if ! getent group cleave-power >/dev/null; then sys groupadd --system cleave-power; fi
if ! getent passwd cleave >/dev/null; then
  sys useradd --system --home-dir /var/lib/cleave --no-create-home --shell /usr/sbin/nologin \
    --user-group --comment "Cleave edge agent" cleave
fi
sys usermod -a -G cleave-power,video cleave

# --- the runtime ------------------------------------------------------------------------------
root="$destdir$prefix"
log "installing the runtime to $root"
mkdir -p "$root"
# From a checkout the sources run through tsx (no build step); a release tree holds them compiled
# to JavaScript (npm run pack:edge). Tests, training and docs are not needed on a device.
parts="package.json package-lock.json .npmrc tsconfig.base.json proto services edge-agent cloud-server bench cli models"
# A release tree brings its dependencies and Node, already for this processor.
if [ -n "$release" ]; then parts="$parts node_modules node release.json"; fi
for part in $parts; do
  rm -rf "${root:?}/$part"
  cp -a "$src/$part" "$root/$part"
done
mkdir -p "$root/test" "$root/docs"
cp "$src/test/package.json" "$root/test/package.json" # a workspace npm ci expects
if [ -f "$src/docs/deploy.md" ]; then cp "$src/docs/deploy.md" "$root/docs/deploy.md"; fi
find "$root" -name node_modules -prune -o -name '*.test.ts' -exec rm -f {} +
if [ -n "$release" ]; then
  log "dependencies and Node from the release tree (linux-$release)"
elif [ -n "$destdir" ]; then
  log "would run: (cd $prefix && npm ci --omit=dev --ignore-scripts)"
else
  (cd "$root" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund)
fi

# --- configuration ----------------------------------------------------------------------------
etc="$destdir/etc/cleave"
mkdir -p "$etc"
if [ -f "$etc/agent.yaml" ]; then
  log "keeping $etc/agent.yaml"
else
  sed -e "s|/opt/cleave/|$prefix/|g" "$here/agent.yaml" > "$etc/agent.yaml"
  if [ -n "$cloud" ]; then sed -i "s|^    target: .*|    target: $cloud|" "$etc/agent.yaml"; fi
fi
if [ ! -f "$etc/agent.env" ]; then
  cp "$here/agent.env" "$etc/agent.env"
  if [ -n "$id" ]; then printf 'CLEAVE_AGENT_ID=%s\n' "$id" >> "$etc/agent.env"; fi
  if [ -n "$nats" ]; then printf 'CLEAVE_NATS_URL=%s\n' "$nats" >> "$etc/agent.env"; fi
fi
sys chown -R root:cleave "$destdir/etc/cleave"
sys chmod 0750 "$destdir/etc/cleave"
sys chmod 0640 "$etc/agent.yaml" "$etc/agent.env"

# --- service and udev rule ----------------------------------------------------------------------
unit="$destdir/etc/systemd/system"
mkdir -p "$unit" "$destdir/etc/udev/rules.d"
sed -e "s|/usr/bin/node |$node_bin |" -e "s|/opt/cleave|$prefix|g" \
  "$here/cleave-agent.service" > "$unit/cleave-agent.service"
if [ -n "$group" ]; then
  mkdir -p "$unit/cleave-agent.service.d"
  printf '[Service]\nExecStart=\nExecStart=%s %s/cli/bin/cleave.js agent --config /etc/cleave/agent.yaml --fleet-state /var/lib/cleave/fleet --group %s\n' \
    "$node_bin" "$prefix" "$group" > "$unit/cleave-agent.service.d/group.conf"
fi
cp "$here/99-cleave-power.rules" "$destdir/etc/udev/rules.d/99-cleave-power.rules"
sys udevadm control --reload
sys udevadm trigger --subsystem-match=hwmon --subsystem-match=iio --subsystem-match=powercap
sys systemctl daemon-reload
if [ "$start" -eq 1 ]; then
  sys systemctl enable --now cleave-agent.service
  log "started: systemctl status cleave-agent; journalctl -u cleave-agent -f"
else
  sys systemctl enable cleave-agent.service
fi
log "done. Edit /etc/cleave/agent.yaml, then: systemctl restart cleave-agent"
