#!/usr/bin/env bash
# `cmake --install` of this build tree into a scratch prefix: the layout (programs, docs, example
# configurations, environment template, unit), the unit's paths substituted for that prefix, and
# the unit checked by systemd itself: `systemd-analyze verify` says nothing about it (it also
# checks that ExecStart= names an executable: the installed xks-proxy), and
# `systemd-analyze security --offline=true` rates it "OK" or better.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tool systemd-analyze systemd

prefix="$PKG_DIR/prefix"
cmake --install "$XKS_BUILD_DIR" --prefix "$prefix" >"$PKG_DIR/install.log" ||
  { cat "$PKG_DIR/install.log" >&2; fail "cmake --install failed"; }

expect_programs "$prefix/bin"
doc="$prefix/share/doc/xks-proxy"
expect_file "$doc/README.md"
expect_file "$doc/operations.md"
expect_file "$doc/copyright"
expect_file "$doc/examples/example.json"
expect_file "$doc/examples/profiles/softhsm2.json"
expect_file "$doc/examples/confused-deputy-policy.json"
[[ ! -e "$doc/changelog.Debian.gz" ]] || fail "the Debian-only changelog is in a plain install"
[[ ! -e "$doc/examples/systemd" ]] || fail "config/systemd is not an example configuration"
# A prefix other than /usr keeps configuration and state below it (GNUInstallDirs).
expect_file "$prefix/etc/xks-proxy/environment" 640
pass "documentation, examples and $prefix/etc/xks-proxy/environment"

unit="$prefix/lib/systemd/system/xks-proxy.service"
expect_file "$unit" 644
! grep -n '@[A-Z_]*@' "$unit" || fail "unsubstituted placeholders in $unit"
grep -qx "ExecStart=$prefix/bin/xks-proxy --config $prefix/etc/xks-proxy/config.json --pid-file /run/xks-proxy/xks-proxy.pid" "$unit" ||
  fail "ExecStart does not run $prefix/bin/xks-proxy on $prefix/etc/xks-proxy/config.json"
grep -qx "ReadWritePaths=/var/lib/xks-proxy /var/log/xks-proxy" "$unit" ||
  fail "ReadWritePaths is not the state and log directories"
grep -qx "ConditionPathExists=$prefix/etc/xks-proxy/config.json" "$unit" ||
  fail "the unit would start without a configuration"
grep -qx "SystemCallFilter=@system-service" "$unit" || fail "the system call filter got lost in $unit"
pass "unit paths substituted for $prefix"

verify="$(systemd-analyze verify "$unit" 2>&1)" || { echo "$verify" >&2; fail "systemd-analyze verify failed"; }
if grep -i 'xks-proxy' <<<"$verify" >&2; then fail "systemd-analyze verify warns about the unit"; fi
if [[ -z "$verify" ]]; then
  pass "systemd-analyze verify: clean"
else
  pass "systemd-analyze verify: nothing about the unit (other units: $verify)"
fi
expect_exposure_ok "$unit"
