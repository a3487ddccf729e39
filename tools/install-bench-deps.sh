#!/usr/bin/env bash
# Installs the Debian 12 packages tools/bench.sh needs besides the build's own (tools/install-deps.sh):
# wrk (HTTP load), nginx-light (the TLS baseline), gnuplot-nox (the latency plot), jq, curl.
# Idempotent and non-interactive; quiet when everything is already installed. Runs as root (uses sudo
# otherwise).
set -euo pipefail

packages=(wrk nginx-light gnuplot-nox jq curl)

source "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh"
install_missing install-bench-deps "${packages[@]}"
# nginx-light's package starts a system nginx on port 80; the benchmark runs its own instance.
if ((${#installed[@]} > 0)) && command -v systemctl >/dev/null 2>&1 &&
  systemctl is-active --quiet nginx 2>/dev/null; then
  as_root systemctl stop nginx || true
fi
