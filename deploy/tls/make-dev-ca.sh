#!/usr/bin/env bash
# Makes a development CA and certificates for Cleave with openssl, for TLS and mutual TLS between
# agents and the tail server. NOT for production: keys are unencrypted and live 30 days.
#   deploy/tls/make-dev-ca.sh OUT_DIR [SERVER_NAME ...] [--client NAME ...]
# Writes ca.pem/ca-key.pem, server.pem/server-key.pem (SANs: the server names, localhost,
# 127.0.0.1) and one NAME.pem/NAME-key.pem per client (its CN is the agent's identity).
set -euo pipefail
out=${1:?usage: make-dev-ca.sh OUT_DIR [SERVER_NAME ...] [--client NAME ...]}
shift
servers=()
clients=()
mode=server
for arg in "$@"; do
  if [ "$arg" = "--client" ]; then mode=client; continue; fi
  if [ "$mode" = server ]; then servers+=("$arg"); else clients+=("$arg"); fi
done
mkdir -p "$out"
cd "$out"
days=30

openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=cleave-dev-ca" \
  -keyout ca-key.pem -out ca.pem 2>/dev/null

san="DNS:localhost,IP:127.0.0.1"
for name in "${servers[@]}"; do san="$san,DNS:$name"; done
openssl req -newkey rsa:2048 -nodes -subj "/CN=cleave-tail" -keyout server-key.pem -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") -out server.pem 2>/dev/null

for name in "${clients[@]}"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
    -extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$name.pem" 2>/dev/null
done
rm -f ./*.csr ca.srl
chmod 600 ./*-key.pem
echo "certificates in $out: ca.pem server.pem ${clients[*]/%/.pem}"
