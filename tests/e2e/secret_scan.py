#!/usr/bin/env python3
"""The suite-wide secret scan (CTest e2e_secret_scan, run after every other e2e test).

    secret_scan.py ARTIFACT_DIR

Every e2e test leaves, in ARTIFACT_DIR/<test>/, copies of its logs and audit files and a
secrets.list (tests/e2e/lib.sh, e2e_save_artifacts) naming every secret it used, one
"KIND<TAB>VALUE" a line:
  pin     a PIN: searched raw, as Base64 and as hex (both cases)
  secret  a SigV4 secret access key: raw and as Base64
  data    the Base64 of a plaintext or AAD: the Base64 itself, the decoded bytes, their hex
Every artefact file (except the secrets.list files) of every test is searched for every form of
every secret of the whole suite. Forms shorter than MIN_FORM bytes are skipped (a 3-byte test
plaintext such as "AAAA" would match by chance). Exits 1 on any hit, naming the file, the line,
the test that used the secret and its kind (never the value), and also when there is nothing to
scan (no artefacts or no secrets), so it cannot pass vacuously.
"""

import base64
import binascii
import os
import sys

MIN_FORM = 8
LIST_NAME = "secrets.list"


def forms(kind, value):
    raw = value.encode()
    out = []
    if kind == "pin":
        out = [raw, base64.b64encode(raw), raw.hex().encode(), raw.hex().upper().encode()]
    elif kind == "secret":
        out = [raw, base64.b64encode(raw)]
    elif kind == "data":
        out = [raw]
        try:
            decoded = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        out += [decoded, decoded.hex().encode(), decoded.hex().upper().encode()]
    return [f for f in out if len(f) >= MIN_FORM]


def read_secrets(root, tests):
    secrets = {}  # form -> (test, kind)
    listed = 0
    for test in tests:
        path = os.path.join(root, test, LIST_NAME)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                kind, _, value = line.rstrip("\n").partition("\t")
                if not value:
                    continue
                listed += 1
                for form in forms(kind, value):
                    secrets.setdefault(form, (test, kind))
    return secrets, listed


def artefacts(root, tests):
    for test in tests:
        for dirpath, _, files in os.walk(os.path.join(root, test)):
            for name in files:
                if name != LIST_NAME:
                    yield os.path.join(dirpath, name)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    tests = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))) \
        if os.path.isdir(root) else []
    secrets, listed = read_secrets(root, tests)
    files = list(artefacts(root, tests))
    if not files:
        print(f"FAIL: no log or audit files under {root}: the e2e tests saved nothing to scan")
        return 1
    if not secrets:
        print(f"FAIL: no secrets listed under {root} ({listed} entries, none searchable)")
        return 1
    hits = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for form, (test, kind) in secrets.items():
            at = data.find(form)
            if at >= 0:
                hits += 1
                line = data.count(b"\n", 0, at) + 1
                print(f"FAIL: {os.path.relpath(path, root)}:{line} holds a {kind} "
                      f"that test {test} used ({len(form)}-byte form)")
    print(f"scanned {len(files)} files of {len(tests)} tests for {len(secrets)} forms of "
          f"{listed} listed secrets: {hits} hits")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
