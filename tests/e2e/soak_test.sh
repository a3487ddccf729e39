#!/usr/bin/env bash
# Soak (issue 16), the suite's short form: tools/soak.sh for 60 s at a fixed open-loop rate against
# the binaries under test (in the ASan configuration they run under ASan/LSan). It asserts no
# error, an RSS at the end within its bound of the RSS after warm-up, a verifying audit chain and a
# clean SIGTERM exit without a leak report (tools/soak.sh says how). docs/soak.md: the long run.
set -euo pipefail
: "${XKS_LOADGEN_BIN:?}"
exec bash "$(dirname "$0")/../../tools/soak.sh" --seconds 60 --warmup 10 --samples 12 \
  --rate "${SOAK_RATE:-200}" --connections 4
