#!/usr/bin/env bash
# Installs the Debian 12 packages tools/bench.sh needs besides the build's own (tools/install-deps.sh):
# wrk (HTTP load), nginx-light (the TLS baseline), gnuplot-nox (the latency plot), jq, curl.
# Idempotent and non-interactive; quiet when everything is already installed. Runs as root (uses sudo
# otherwise).
set -euo pipefail

packages=(wrk nginx-light gnuplot-nox jq curl)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "install-bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx-light's package starts a system nginx on port 80; the benchmark runs its own instance.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  as_root systemctl stop nginx || true
fi
