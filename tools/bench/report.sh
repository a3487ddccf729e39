#!/usr/bin/env bash
# The generated part of docs/PERFORMANCE.md, from the results tools/bench.sh left in $R
# (m/<measurement>.json, status/<phase>). Prints Markdown on stdout. Called by tools/bench.sh only.
set -euo pipefail
: "${R:?}" "${mode:?}" "${command_line:?}" "${long:?}" "${elapsed:?}" "${mem_requests:?}" "${wrk_conns:?}"
: "${body_bytes:?}" "${keys:?}"

# get NAME JQ → the value, or "" when the measurement is missing.
get() {
  local f="$R/m/$1.json"
  [[ -s "$f" ]] || return 0
  jq -r "($2) // empty" "$f" 2>/dev/null || true
}
# Formatting; every one prints "–" for a missing value.
num() { [[ -n "${1:-}" ]] && printf "%'.0f" "$1" || printf '–'; }
ms() { [[ -n "${1:-}" ]] && awk -v v="$1" 'BEGIN { printf (v >= 10000 ? "%.0f ms" : "%.2f ms"), v / 1000 }' || printf '–'; }
ratio() {  # ratio A B → A/B to 2 decimals
  [[ -n "${1:-}" && -n "${2:-}" ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "–" }' || printf '–'
}
ratio3() {  # ratio3 A B → A/B to 3 decimals (next to a verdict, so that 0.897 does not read as 0.90)
  [[ -n "${1:-}" && -n "${2:-}" ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "–" }' || printf '–'
}
per_op() { [[ -n "${1:-}" ]] && awk -v v="$1" 'BEGIN { printf "%.1f µs", 1e6 / v }' || printf '–'; }
mib() { [[ -n "${1:-}" ]] && awk -v v="$1" 'BEGIN { printf "%.1f MiB", v / 1024 }' || printf '–'; }
status_of() {  # the phase's status line, or "not run"
  if [[ -s "$R/status/$1" ]]; then cat "$R/status/$1"; else echo "not run"; fi
}
# cell PHASE VALUE: VALUE, or "failed" when the phase failed and VALUE is missing ("–...").
cell() {
  if [[ $2 == –* && "$(status_of "$1")" == failed* ]]; then printf '**failed**'; else printf '%s' "$2"; fi
}
errs() {  # errs NAME → "0" or "3 (ThrottlingException 2, timeout 1)"
  local f="$R/m/$1.json"
  [[ -s "$f" ]] || { printf '–'; return; }
  jq -r '(.errors // 0) as $n
         | ([(.error_names // {} | to_entries[]), (.transport_errors // {} | to_entries[])]
            | map("\(.key) \(.value)") | join(", ")) as $d
         | if ($n | type) == "object" then
             ([$n | to_entries[] | select(.value > 0) | "\(.key) \(.value)"] | join(", ")) as $w
             | if $w == "" then "0" else $w end
           elif $n == 0 then "0" elif $d == "" then "\($n)" else "\($n) (\($d))" end' "$f"
}
verdict() {  # verdict CONDITION_EXPR (awk) → met / not met / –
  local expr="$1"; shift
  for v in "$@"; do [[ -n "$v" ]] || { printf '–'; return; }; done
  awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN { exit !($expr) }" && printf 'met' || printf '**not met**'
}

nginx_rps="$(get nginx .rps)"
fsync_rps="$(get wrk-fsync .rps)"
write_rps="$(get wrk-write .rps)"
pk() { get pkcs11 ".[\"$1\"]"; }
raw1="$(pk 'RawEncrypt/32/real_time/threads:1')"
raw2="$(pk 'RawEncrypt/32/real_time/threads:2')"
layer1="$(pk 'LayerEncrypt/32/real_time/threads:1')"
copy1="$(pk 'LayerEncryptSessionCopy/32/real_time/threads:1')"
closed_rps="$(get closed .rps)"
o_rps="$(get open-1800 .rps)" o_p99="$(get open-1800 .p99_us)" o_p999="$(get open-1800 .p999_us)"
o_err="$(get open-1800 .errors)"
f64="$(get fault-64 .rps)" f64_p99="$(get fault-64 .p99_us)" f256="$(get fault-256 .rps)"
f1024="$(get fault-1024 .rps)"
# The worst overload point (256 or 1024 connections).
f_over="$f256" f_over_at=256
if [[ -n $f1024 && ( -z $f256 || $(echo "$f1024 < $f256" | bc) == 1 ) ]]; then f_over="$f1024" f_over_at=1024; fi
k1="$(get keys1 .rps)" k100="$(get keys100 .rps)"
fresh_p99="$(get fresh-curl-proxy .p99_us)"
fresh_n="$(get fresh-curl-proxy .requests)" fresh_ok="$(get fresh-curl-proxy .ok)"
rss1="$(get mem-stage1 .rss_kib)" rss2="$(get mem-stage2 .rss_kib)"
fresh_other="$(get fresh-curl-proxy '(.other_statuses // {}) | to_entries | map("\(.key): \(.value)") | join(", ")')"

cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
cat <<EOF

## Last run

$(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM ·
Linux $(uname -r) · load average at the start ${load_start:-?} · mode \`$mode\`$( ((long)) && printf ', with %s' "\`--long\`") ·
took $((elapsed / 60)) min $((elapsed % 60)) s · binaries from ${build_label:-?}

Rerun (from the repository root, after \`tools/install-bench-deps.sh\`):

\`\`\`
$command_line
\`\`\`

The machine is shared and noisy (about ±25 % between phases, more while a build runs): compare the
ratios, each taken within this run, rather than the absolute figures.

EOF
failed="$( (grep -l '^failed' "$R"/status/* 2>/dev/null || true) | xargs -r -n1 basename | tr '\n' ' ')"
if [[ -n $failed ]]; then
  echo "**Phases that failed in this run: ${failed% }** (see the phase table at the end)."
  echo
fi

cat <<EOF
### Targets (issue 13)

| target | measured | |
|---|---|---|
| keep-alive Encrypt, audit \`fsync\`, 64 connections: ≥ 0.40 × nginx (never below 0.25) | $(ratio3 "$fsync_rps" "$nginx_rps") × nginx ($(num "$fsync_rps") vs $(num "$nginx_rps") requests/s) | $(verdict 'a / b >= 0.40' "$fsync_rps" "$nginx_rps")$(verdict 'a / b < 0.25' "$fsync_rps" "$nginx_rps" | sed -n 's/^met$/, below the 0.25 floor/p') |
| 64 connections: \`fsync\` ≥ 0.9 × \`write\` | $(ratio3 "$fsync_rps" "$write_rps") | $(verdict 'a / b >= 0.9' "$fsync_rps" "$write_rps") |
| HSM adding 2 ms per crypto call, 64 connections: ≥ 1800 successful/s, p99 ≤ 20 ms | $(num "$f64")/s, p99 $(ms "$f64_p99") | $(verdict 'a >= 1800 && b <= 20000' "$f64" "$f64_p99") |
| same HSM, overload (256 and 1024 connections): successful ≥ 0.9 × below overload (64) | worst: $(num "$f_over")/s at $f_over_at connections = $(ratio3 "$f_over" "$f64") × the 64-connection figure | $(verdict 'a >= 0.9 * b' "$f_over" "$f64") |
| 100 keys in the token: ≥ 0.9 × one key | $(ratio3 "$k100" "$k1") ($(num "$k100") vs $(num "$k1") requests/s) | $(verdict 'a >= 0.9 * b' "$k100" "$k1") |
| open loop 1800/s, mixed: p99 ≤ 2 ms, p99.9 ≤ 5 ms, zero errors | $(num "$o_rps") ok/s, p99 $(ms "$o_p99"), p99.9 $(ms "$o_p999"), errors $(errs open-1800) | $(verdict 'a <= 2000 && b <= 5000 && c == 0' "$o_p99" "$o_p999" "$o_err") |
| fresh TLS 1.3 connection + one Encrypt at 100/s: p99 ≤ 5 ms | p99 $(ms "$fresh_p99") ($(num "$fresh_ok") of $(num "$fresh_n") answered 200) | $(verdict 'a <= 5000 && b == c' "$fresh_p99" "$fresh_ok" "$fresh_n") |
| resident memory at 64 connections ≤ 64 MiB | $(mib "$rss1") after ~$(num "$mem_requests") requests | $(verdict 'a <= 65536' "$rss1") |
| ... flat within 5 % from 100k to 1M requests | $(if [[ -n $rss2 ]]; then echo "$(mib "$rss2") after ~1M: $(ratio3 "$rss2" "$rss1") ×"; else echo "not measured (needs \`--long\`)"; fi) | $(verdict 'a <= 1.05 * b' "$rss2" "$rss1") |

### All figures

Throughput is successful answers per second; latencies are of successful requests. "× nginx" is
the case's throughput divided by nginx's keep-alive throughput (row b) from this run.

| case | what | throughput | p50 | p99 | more | × nginx |
|---|---|---:|---:|---:|---|---:|
| a | raw PKCS#11 loop (\`pkcs11_bench\`), AES-GCM encrypt 32 B, token key, 1 thread | $(cell pkcs11 "$(num "$raw1") ops/s") | | | $(per_op "$raw1") per op; 2 threads: $(num "$raw2") ops/s | $(ratio "$raw1" "$nginx_rps") |
| a | through the pkcs11 layer (\`LayerEncrypt\`), 1 thread | $(cell pkcs11 "$(num "$layer1") ops/s") | | | $(per_op "$layer1") per op; session-object copy of the key: $(num "$copy1") ops/s | $(ratio "$layer1" "$nginx_rps") |
| b | nginx, TLS 1.3 keep-alive, fixed JSON answer; wrk 1 thread, $wrk_conns connections, ${body_bytes}-byte POST | $(cell keepalive "$(num "$nginx_rps")") | $(ms "$(get nginx .p50_us)") | $(ms "$(get nginx .p99_us)") | | 1.00 |
| c | proxy, the same wrk load: one SigV4-signed Encrypt replayed, audit \`fsync\` | $(cell keepalive "$(num "$fsync_rps")") | $(ms "$(get wrk-fsync .p50_us)") | $(ms "$(get wrk-fsync .p99_us)") | non-2xx: $(num "$(get wrk-fsync .errors.status)") | $(ratio "$fsync_rps" "$nginx_rps") |
| d | proxy, the same, audit \`write\` | $(cell keepalive "$(num "$write_rps")") | $(ms "$(get wrk-write .p50_us)") | $(ms "$(get wrk-write .p99_us)") | non-2xx: $(num "$(get wrk-write .errors.status)"); fsync/write $(ratio "$fsync_rps" "$write_rps") | $(ratio "$write_rps" "$nginx_rps") |
| e | xks-loadgen closed loop, 64 connections, mixed (saturation), \`fsync\` | $(cell loadgen "$(num "$closed_rps")") | $(ms "$(get closed .p50_us)") | $(ms "$(get closed .p99_us)") | p99.9 $(ms "$(get closed .p999_us)"), max $(ms "$(get closed .max_us)"), errors $(errs closed) | $(ratio "$closed_rps" "$nginx_rps") |
| e | xks-loadgen open loop 1800/s, 64 connections, mixed, \`fsync\` | $(cell loadgen "$(num "$o_rps")") | $(ms "$(get open-1800 .p50_us)") | $(ms "$o_p99") | p99.9 $(ms "$o_p999"), max $(ms "$(get open-1800 .max_us)"), errors $(errs open-1800), max queue $(get open-1800 .open_loop.max_queue) | $(ratio "$o_rps" "$nginx_rps") |
| f | HSM adding 2 ms per crypto call (fault module; the token's \`max_sessions\` ${fault_sessions:-?}), closed loop 64 connections | $(cell fault "$(num "$f64")") | $(ms "$(get fault-64 .p50_us)") | $(ms "$f64_p99") | answers/s $(num "$(get fault-64 .answers_per_s)"), errors $(errs fault-64) | $(ratio "$f64" "$nginx_rps") |
| f | same, overload: 256 connections | $(cell fault "$(num "$f256")") | $(ms "$(get fault-256 .p50_us)") | $(ms "$(get fault-256 .p99_us)") | answers/s $(num "$(get fault-256 .answers_per_s)"), errors $(errs fault-256) | $(ratio "$f256" "$nginx_rps") |
| f | same, overload: 1024 connections | $(cell fault "$(num "$f1024")") | $(ms "$(get fault-1024 .p50_us)") | $(ms "$(get fault-1024 .p99_us)") | answers/s $(num "$(get fault-1024 .answers_per_s)"), errors $(errs fault-1024) | $(ratio "$f1024" "$nginx_rps") |
| g | 1 key in the tenant's token, closed loop 16 connections, audit \`write\` | $(cell keys "$(num "$k1")") | $(ms "$(get keys1 .p50_us)") | $(ms "$(get keys1 .p99_us)") | errors $(errs keys1) | $(ratio "$k1" "$nginx_rps") |
| g | $keys keys in the tenant's token, the same load | $(cell keys "$(num "$k100")") | $(ms "$(get keys100 .p50_us)") | $(ms "$(get keys100 .p99_us)") | errors $(errs keys100); $keys/1 keys: $(ratio "$k100" "$k1") | $(ratio "$k100" "$nginx_rps") |
| h | fresh TLS 1.3 connection + Encrypt, curl at 100 connections/s (latency includes the handshake) | $(cell fresh "$(num "$fresh_ok") ok") | $(ms "$(get fresh-curl-proxy .p50_us)") | $(ms "$fresh_p99") | handshake p50 $(ms "$(get fresh-curl-proxy .handshake_p50_us)"); other answers: ${fresh_other:-none}; p50 vs nginx $(ratio "$(get fresh-curl-proxy .p50_us)" "$(get fresh-curl-nginx .p50_us)") × | |
| h | nginx, the same | $(cell fresh "$(num "$(get fresh-curl-nginx .ok)") ok") | $(ms "$(get fresh-curl-nginx .p50_us)") | $(ms "$(get fresh-curl-nginx .p99_us)") | handshake p50 $(ms "$(get fresh-curl-nginx .handshake_p50_us)") | |
| h | proxy, wrk \`Connection: close\`, 16 connections (new connections/s; latency after the handshake) | $(cell fresh "$(num "$(get fresh-wrk-proxy .rps)")") | $(ms "$(get fresh-wrk-proxy .p50_us)") | $(ms "$(get fresh-wrk-proxy .p99_us)") | vs nginx the same: $(ratio "$(get fresh-wrk-proxy .rps)" "$(get fresh-wrk-nginx .rps)") × | |
| h | nginx, wrk \`Connection: close\`, 16 connections | $(cell fresh "$(num "$(get fresh-wrk-nginx .rps)")") | $(ms "$(get fresh-wrk-nginx .p50_us)") | $(ms "$(get fresh-wrk-nginx .p99_us)") | | |
| i | resident memory, idle after start / at 64 connections after ~$(num "$mem_requests") requests | $(cell memory "$(mib "$(get mem-idle .rss_kib)") / $(mib "$rss1")") | | | peak (VmHWM) $(mib "$(get mem-stage1 .hwm_kib)"); $(num "$(get mem-stage1 .audit_records)") audit records | |
| i | resident memory at 64 connections after ~1M requests (\`--long\`) | $(if [[ -n $rss2 ]]; then mib "$rss2"; else echo "not run"; fi) | | | $( [[ -n $rss2 ]] && echo "peak $(mib "$(get mem-stage2 .hwm_kib)"); $(ratio "$rss2" "$rss1") × the 100k figure") | |

### Open-loop latency against offered load

![latency against offered load](performance-latency.png)

xks-loadgen, mixed operations, 64 connections, audit \`fsync\`; latency counted from each request's
intended send time. The rates are fractions of the closed-loop saturation measured just before
(row e), plus 1800/s.

| offered/s | ok/s | p50 | p99 | p99.9 |
|---:|---:|---:|---:|---:|
EOF
if [[ -s "$R/m/sweep.tsv" ]]; then
  awk -F'\t' '{ printf "| %d | %.0f | %.2f ms | %.2f ms | %.2f ms |\n", $1, $2, $3, $4, $5 }' "$R/m/sweep.tsv"
else
  echo "| $(cell loadgen –) | | | | |"
fi

cat <<EOF

### Phases

| phase | cases | status | seconds |
|---|---|---|---:|
EOF
for p in pkcs11:a keepalive:b,c,d loadgen:e fault:f keys:g fresh:h memory:i; do
  name="${p%%:*}"
  s="$(status_of "$name")"
  secs=""
  [[ $s == ok* ]] && secs="${s#ok }" && s=ok
  printf '| %s | %s | %s | %s |\n' "$name" "${p#*:}" "${s//|/\\|}" "$secs"
done
