#!/usr/bin/env bash
# Installs the Debian 12 packages tools/fuzz.sh needs besides the build's own (tools/install-deps.sh):
# clang-14 (the fuzz build's compiler; GCC has no libFuzzer) and libfuzzer-14-dev (libFuzzer's
# runtime and main). Kept out of install-deps.sh: the test command does not fuzz, it only replays
# the corpus with the normal compiler. Idempotent and non-interactive; quiet when everything is
# already installed. Runs as root (uses sudo otherwise).
set -euo pipefail

packages=(clang-14 libfuzzer-14-dev)

source "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh"
install_missing install-fuzz-deps "${packages[@]}"
