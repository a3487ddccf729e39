#!/usr/bin/env bash
# The load-balancer check listener (issue 17, server.health_listener): with the API port requiring
# client certificates (mutual TLS), a balancer's check that presents none still gets its answer on
# a listener of its own, which answers only the ping path; its deep form reflects health. Bad
# shapes of the setting are refused at the configuration check.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null

# Refused shapes.
bad() {  # bad JQ_EDIT FIELD
  jq "$1" "$XKS_CONFIG" > "$E2E_DIR/bad.json"
  local out
  out="$("$XKS_PROXY_BIN" --check-config --config "$E2E_DIR/bad.json" 2>&1)" && fail "accepted: $1"
  grep -q "$2" <<<"$out" || fail "no problem at $2 for $1: $out"
}
bad '.server.health_listener = {"port": 8080, "tls": {"certificate_chain_file": .server.tls.certificate_chain_file, "private_key_file": .server.tls.private_key_file, "client_ca_file": .server.tls.certificate_chain_file}}' \
  "server.health_listener.tls.client_ca_file"
bad '.server.health_listener = {"prot": 1}' "server.health_listener.prot"
pass "a client CA on the check listener and unknown fields are refused"

# The API requires client certificates (the self-signed test certificate is its own CA); the check
# listener is plain HTTP on loopback, deep.
jq '.server.tls.client_ca_file = .server.tls.certificate_chain_file
    | .server.health_listener = {"listen_address": "127.0.0.1", "port": 0, "deep": true}' \
  "$XKS_CONFIG" > "$XKS_CONFIG.new" && mv "$XKS_CONFIG.new" "$XKS_CONFIG"
e2e_start_proxy
for _ in $(seq 1 100); do
  hport="$(sed -n 's/.*load-balancer check listener (\/ping, deep) on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
    "$E2E_DIR/proxy.log" | head -1)"
  [[ -n "$hport" ]] && break
  sleep 0.05
done
[[ -n "$hport" ]] || fail "no check listener line in the log"

rc=0
curl -sS --max-time 5 --cacert "$E2E_DIR/tls-cert.pem" "$ENDPOINT/ping" >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "the API port answered a client without a certificate"
out="$(curl -sS --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$hport/ping")"
[[ "$out" == '{"status":"OK"} 200' ]] || fail "check listener: $out"
code="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$hport/ping")"
[[ "$code" == 200 ]] || fail "HEAD: $code"
code="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/alpha/kms/xks/v1/health")"
[[ "$code" == 404 ]] || fail "the check listener answered another path: $code"
pass "API port needs a client certificate; the check listener answers /ping without one (and nothing else)"
e2e_stop_proxy
