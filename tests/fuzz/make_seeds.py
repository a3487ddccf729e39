#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (except audit_verifier's, which come from a real
audit log: docs/fuzzing.md) from the XKS spec's examples, the SigV4 test suites, the example
configurations and hand-made edge cases. Idempotent: seeds are named by content.
  tests/fuzz/make_seeds.py [--reference DIR]   (default: ../shared/reference beside the tree)"""
import base64, glob, hashlib, json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--reference" else \
    os.path.join(ROOT, "..", "shared", "reference")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def seed(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha256(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


def spec_bodies():
    spec = open(os.path.join(REF, "xks-api-spec", "xks_proxy_api_spec.md")).read()
    for block in re.findall(r"```(?:json)?\n(.*?)```", spec, re.S):
        try:
            body = json.loads(block)
        except ValueError:
            continue  # the schema blocks ("string // optional") are not JSON
        if isinstance(body, dict) and "requestMetadata" in body:
            yield body


META = {"awsPrincipalArn": "arn:aws:iam::111122223333:user/Alice",
        "kmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
        "kmsOperation": "Encrypt", "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}


def wire_seeds():
    ops = {"Encrypt": "wire_encrypt", "Decrypt": "wire_decrypt", "CreateKey": "wire_metadata",
           "DescribeKey": "wire_metadata", "CreateCustomKeyStore": "wire_health"}
    for body in spec_bodies():
        target = ops.get(body["requestMetadata"].get("kmsOperation"), "wire_health")
        seed(target, json.dumps(body, indent=1))
    enc = {"requestMetadata": META, "plaintext": b64("Hello World!"), "encryptionAlgorithm": "AES_GCM"}
    seed("wire_encrypt", json.dumps(dict(enc, additionalAuthenticatedData=b64("aad"),
                                         ciphertextDataIntegrityValueAlgorithm="SHA_256")))
    seed("wire_encrypt", json.dumps(dict(enc, plaintext="")))
    seed("wire_encrypt", json.dumps(dict(enc, plaintext="not base64!")))
    seed("wire_encrypt", '{"requestMetadata":{"kmsOperation":"Encrypt"},"plaintext":"AA==","plaintext":"AA=="}')
    dec = {"requestMetadata": dict(META, kmsOperation="Decrypt"), "ciphertext": b64("x" * 12),
           "initializationVector": b64(b"\0" * 12), "authenticationTag": b64(b"\0" * 16),
           "ciphertextMetadata": b64(b"\x01\x00\x01" + b"\0" * 8), "encryptionAlgorithm": "AES_GCM"}
    seed("wire_decrypt", json.dumps(dec))
    seed("wire_decrypt", json.dumps(dict(dec, initializationVector=b64(b"\0" * 16))))
    seed("wire_decrypt", json.dumps(dict(dec, authenticationTag=b64(b"\0" * 15))))
    seed("wire_decrypt", json.dumps(dict(dec, ciphertextMetadata=b64(b"\0" * 21))))
    seed("wire_metadata", json.dumps({"requestMetadata": dict(META, kmsOperation="DescribeKey")}))
    seed("wire_metadata", json.dumps({"requestMetadata": dict(META, kmsKeyArn="a" * 2049)}))
    seed("wire_health", '{"requestMetadata":{"kmsOperation":"KmsHealthCheck","kmsRequestId":"r"}}')
    for edge in ['{"a":' * 40 + "1" + "}" * 40, '{"requestMetadata":{}}\0', '\ufeff{}', '[]',
                 '{"requestMetadata":{"kmsRequestId":"\\ud800"}}', '{"x":1e99999}', '']:
        for t in ("wire_encrypt", "wire_decrypt", "wire_metadata", "wire_health"):
            seed(t, edge)


def http(method, target, body, extra=(), tenant="acme"):
    headers = ["Host: xks.example.com", "Content-Type: application/json",
               "X-Test-Tenant: " + tenant,
               "X-Test-Access-Key: " + ("AKIAACMEACMEACMEACME" if tenant == "acme" else "AKIAGLOBEXGLOBEXGLOB"),
               *extra]
    if body is not None:
        headers.append("Content-Length: %d" % len(body))
    return "%s %s HTTP/1.1\r\n%s\r\n\r\n%s" % (method, target, "\r\n".join(headers), body or "")


def http_seeds():
    enc = {"requestMetadata": META, "plaintext": b64("Hello World!"), "encryptionAlgorithm": "AES_GCM",
           "additionalAuthenticatedData": b64("project=nile")}
    seed("http_request", http("POST", "/acme/kms/xks/v1/keys/k1/encrypt", json.dumps(enc)))
    seed("http_request", http("POST", "/acme/kms/xks/v1/keys/k2/encrypt",
                              json.dumps(dict(enc, ciphertextDataIntegrityValueAlgorithm="SHA_256"))))
    seed("http_request", http("POST", "/kms/xks/v1/keys/k1/encrypt", json.dumps(enc), tenant="globex"))
    seed("http_request", http("POST", "/kms/xks/v1/keys/shared/decrypt", json.dumps(
        {"requestMetadata": dict(META, kmsOperation="Decrypt"), "ciphertext": b64("x" * 12),
         "initializationVector": b64(b"\0" * 12), "authenticationTag": b64(b"\0" * 16),
         "ciphertextMetadata": b64(b"\x01\x00\x01" + b"\0" * 8), "encryptionAlgorithm": "AES_GCM"}),
        tenant="globex"))
    for body in spec_bodies():
        op = body["requestMetadata"].get("kmsOperation")
        path = {"Encrypt": "keys/k1/encrypt", "Decrypt": "keys/k1/decrypt",
                "CreateKey": "keys/k1/metadata"}.get(op, "health")
        seed("http_request", http("POST", "/acme/kms/xks/v1/" + path, json.dumps(body)))
    seed("http_request", http("POST", "/acme/kms/xks/v1/keys/off/metadata",
                              json.dumps({"requestMetadata": dict(META, kmsOperation="DescribeKey")})))
    seed("http_request", http("GET", "/acme/kms/xks/v1/health", None))
    seed("http_request", http("GET", "/ping", None))
    seed("http_request", http("POST", "/nobody/kms/xks/v1/health?x=1", "{}"))
    chunked = '{"requestMetadata":{"kmsOperation":"KmsHealthCheck","kmsRequestId":"r"}}'
    seed("http_request", http("POST", "/acme/kms/xks/v1/health", None, ["Transfer-Encoding: chunked"])
         .replace("\r\n\r\n", "\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(chunked), chunked), 1))
    seed("http_request", http("POST", "/acme/kms/xks/v1/health", "{}", ["Transfer-Encoding: identity"]))
    seed("http_request", http("POST", "/acme/kms/xks/v1/health", "{}", ["Content-Length: 2"]))
    seed("http_request", http("POST", "/acme/kms/xks/v1/health", "{}", ["Expect: 100-continue"]))
    seed("http_request", open(os.path.join(REF, "sigv4-testsuite", "xks-curl-example",
                                           "signed-request.http"), "rb").read())
    for hdrs in (["Host: a", "Content-Length: 5"], ["Content-Length: 5, 5", "Host: a"],
                 ["Host: a", "Transfer-Encoding: chunked"], ["Host: a", "Transfer-Encoding: gzip, chunked"],
                 ["Host: a", "Expect: 100-continue"], ["Host: a", "Host: b"], ["Content-Length: +5"],
                 ["Host: a", "Content-Length: 18446744073709551616"], ["Host: a", "Expect: foo"]):
        seed("http_framing", "\x01" + "\n".join(hdrs))
        seed("http_framing", "\x00" + "\n".join(hdrs))


def sigv4_seeds():
    suites = os.path.join(REF, "sigv4-testsuite")
    for authz in sorted(glob.glob(suites + "/aws4_testsuite/*/*.authz")):
        seed("sigv4_authorization", open(authz, "rb").read().strip())
    for signed in sorted(glob.glob(suites + "/*/*/*signed-request.txt")) + \
            [suites + "/xks-curl-example/signed-request.http"]:
        for line in open(signed, errors="replace"):
            if line.lower().startswith("authorization:"):
                seed("sigv4_authorization", line.split(":", 1)[1].strip())
    good = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms-xks-proxy/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
    for edge in [good.replace(", ", ","), good.replace("host;x-amz-date", "x-amz-date;host"),
                 good.replace("0" * 64, "A" * 64), good + ", Signature=" + "1" * 64,
                 good.replace("aws4_request", "aws4_request/x"), "AWS4-HMAC-SHA256", "",
                 good.replace("Credential=AKIDEXAMPLE", "Credential="), good.replace("host;", "Host;")]:
        seed("sigv4_authorization", edge)
    for req in sorted(glob.glob(suites + "/aws4_testsuite/*/*.req") +
                      glob.glob(suites + "/aws-c-auth-v4/*/request.txt")):
        text = open(req, errors="replace").read().replace("\r\n", "\n")
        head = text.split("\n\n", 1)[0].split("\n")
        parts = head[0].split(" ")
        if len(parts) < 2:
            continue
        names = sorted({h.split(":", 1)[0].strip().lower() for h in head[1:] if ":" in h})
        seed("sigv4_canonical", "\n".join([parts[0], parts[1], ";".join(names)] + head[1:]))
    seed("sigv4_canonical", "POST\n/a/./b/../../c//d/\nhost;x-amz-date\nHost:x\nX-Amz-Date:20261127T200213Z")
    seed("sigv4_canonical", "GET\n/%zz%2F%20?b=2&a=1&a&%41=%\nmy-header\nMy-Header:  a   b \nmy-header:\tc")
    seed("sigv4_canonical", "GET\n../..\n\nX-Amz-Date:20240229T235960Z")


def config_seeds():
    for path in sorted(glob.glob(ROOT + "/config/*.json") + glob.glob(ROOT + "/config/*/*.json")):
        seed("config", open(path, "rb").read())
    fixture = open(ROOT + "/proxy/config/testing/config_fixture.cc").read()
    standard = re.search(r'StandardConfigJson.*?R"\((.*?)\)"', fixture, re.S).group(1)
    policy = re.search(r'IssuePolicyJson.*?R"\((.*?)\)"', fixture, re.S).group(1)
    seed("config", standard)
    doc = json.loads(standard)
    doc["tenants"][0]["policy"] = json.loads(policy)
    seed("config", json.dumps(doc))
    doc["tenants"][0]["policy"]["mode"] = "report"
    doc["tenants"][1]["policy"] = {"mode": "enforce", "statements": [
        {"id": "x", "effect": "allow", "keys": ["*"], "operations": ["encrypt", "metadata"],
         "conditions": {"awsPrincipalArn": ["arn:aws:iam::*:role/*"], "kmsViaService": ["ebs", "s3"]}}]}
    seed("config", json.dumps(doc))
    seed("config", '{"server":{"port":70000},"tenants":[{"name":""}]}')
    seed("config", "{}")


def small_seeds():
    for data in [b"\x01\x00\x01" + bytes(8), b"\x01\xff\xff" + bytes(range(8)), b"\x01\x00\x00" + bytes(8),
                 b"\x02\x00\x01" + bytes(8), b"\x01\x00\x01" + bytes(9), b"", b"\x01"]:
        seed("ciphertext_metadata", data)
    for uri in ["pkcs11:token=acme;object=k1", "pkcs11:token=acme%20corp;serial=0123;model=SoftHSM%20v2",
                "pkcs11:manufacturer=SoftHSM%20project;slot-id=3;object=key;id=%01%02%ff;type=secret-key",
                "pkcs11:token=a?pin-source=file:/etc/pin", "pkcs11:token=a?pin-value=1234",
                "PKCS11:object=k1", "pkcs11:id=%zz", "pkcs11:slot-id=99999999999999999999", "pkcs11:",
                "acme-label", "pkcs11:token=a;token=b", "pkcs11:object=%00x"]:
        seed("pkcs11_uri", uri)


if __name__ == "__main__":
    wire_seeds(); http_seeds(); sigv4_seeds(); config_seeds(); small_seeds()
    for d in sorted(os.listdir(CORPUS)):
        print(d, len(os.listdir(os.path.join(CORPUS, d))))
