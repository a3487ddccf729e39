#!/usr/bin/env bash
# Installs the Debian 12 packages tools/fuzz.sh needs besides the build's own (tools/install-deps.sh):
# clang-14 (the fuzz build's compiler; GCC has no libFuzzer) and libfuzzer-14-dev (libFuzzer's
# runtime and main). Kept out of install-deps.sh: the test command does not fuzz, it only replays
# the corpus with the normal compiler. Idempotent and non-interactive; quiet when everything is
# already installed. Runs as root (uses sudo otherwise).
set -euo pipefail

packages=(clang-14 libfuzzer-14-dev)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "install-fuzz-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
