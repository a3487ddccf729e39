#include "tools/loadgen/options.h"

namespace xks::loadgen {

std::string UsageText() {
  return R"(xks-loadgen: load for an XKS proxy (AWS KMS External Key Store API) over keep-alive TLS,
every request signed afresh with SigV4 (docs/dev/loadgen.md).

usage: xks-loadgen --url https://HOST:PORT/PREFIX --key-id KEY [options]

target and credentials
  --url URL             the tenant's base URL: https://host[:port][/prefix]
  --key-id ID           the external key id to encrypt, decrypt and describe with
  --access-key-id AKID  SigV4 access key id (default: $XKS_ACCESS_KEY_ID)
  --secret-file F       file holding the SigV4 secret (mode 0600 or stricter; default: the
                        secret in $XKS_SECRET_ACCESS_KEY). The secret is never printed.
  --region R            SigV4 region (default us-east-1)
  --ca-file F           CA certificate(s) the server's certificate must chain to (default: the
                        system store); the certificate must name the URL's host
  --insecure            do not verify the server certificate (self-signed test setups only)

load
  --connections N       keep-alive TLS connections (default 16)
  --rate R              open loop: R requests/s in total on a fixed timetable; latency counts from
                        each request's intended send time, so waiting for a busy connection is
                        part of it. Without --rate: closed loop, each connection sends its next
                        request when the answer to the last one arrives.
  --duration D          how long to measure, e.g. 30s, 5m, 2h (default 10s)
  --warmup D            load before measuring starts, not counted (default 2s)
  --timeout D           per request; a request with no answer by then is a transport error
                        "timeout" and its connection is reopened (default 10s)
  --mix M               weights of the operations (default encrypt=70,decrypt=25,metadata=5;
                        also health). Decrypts open ciphertexts made by encrypts at start-up.
  --plaintext-bytes N   plaintext per encrypt (default 32: a data key)
  --aad-bytes N         additionalAuthenticatedData per encrypt/decrypt (default 200; 0: none)
  --threads N           I/O threads, each with its own share of the connections (default 1)

output
  --json FILE           where the JSON result goes (default, or "-": stdout)
  --progress            a line per second on stderr: requests/s, p99 so far, errors
  --version             print the version and exit
  --help                this text

Exit status: 0 the run had no errors, 1 it ran but some requests failed (see "errors" in the
JSON), 2 bad usage or the setup failed (no connection, start-up encrypts refused).
)";
}

}  // namespace xks::loadgen
