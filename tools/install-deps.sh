#!/usr/bin/env bash
# Installs every Debian package xks-hsm-proxy needs to build, test and run its quickstart.
# Idempotent and non-interactive; runs as root on a fresh Debian 12 machine (uses sudo otherwise).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  # ninja-build and lld: faster builds (tools/test.sh, CMakeLists.txt); both are optional.
  ninja-build lld
  libboost1.81-dev libssl-dev openssl
  libp11-kit-dev p11-kit softhsm2 opensc gnutls-bin
  # NSS's software PKCS#11 token and certutil: the second module of the suite (key import).
  libnss3 libnss3-tools
  nlohmann-json3-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  curl jq python3 python3-botocore
  # haproxy: the scale-out example (config/haproxy/) and its test (tests/e2e/scaleout_test.sh).
  haproxy
  # sslscan: tests/e2e/hostile_test.sh checks the TLS versions, suites and groups the proxy offers.
  sslscan
  # jemalloc: xks-proxy's allocator (proxy/runtime/CMakeLists.txt; malloc/free were ~17 % of its
  # CPU under load with glibc's, and jemalloc serves ~12 % more requests/s). Optional.
  libjemalloc-dev
  # ccache: only speeds up rebuilds; the build works without it.
  ccache
  # prometheus: only for its promtool, which tests/e2e/metrics_test.sh runs on the /metrics output
  # (`promtool check metrics`); Debian ships no smaller package with it. The daemon stays unused.
  prometheus
  # clang-format (14 on Debian 12): tools/check-format.sh checks the tree against .clang-format.
  clang-format
  # systemd-analyze (package systemd) verifies and rates the service unit, lintian checks the
  # .deb, dpkg-dev's dpkg-shlibdeps computes its Depends (tests/packaging).
  systemd lintian dpkg-dev
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
