// Cost of SigV4 verification of a typical KMS Encrypt request (signed host;x-amz-date, ~300-byte
// body), with the signing-key cache warm (the steady state) and disabled (every request derives
// the key: four extra HMACs), against one HMAC-SHA256 of 64 bytes measured in the same run.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "proxy/auth/credential_store.h"
#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"
#include "proxy/auth/sigv4_verifier.h"

namespace xks::auth {
namespace {

constexpr std::string_view kAkid = "AKIAAAAAAAAAAAAAAAA2";
constexpr std::string_view kSecret = "benchSecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

struct Fixture {
  Fixture() : store(MakeCreds()) {
    now = *ParseAmzDate("20261127T211500Z");
    request.method = "POST";
    request.target = "/tenant-a/kms/xks/v1/keys/key-1/encrypt";
    request.body =
        R"({"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::123456789012:user/Alice",)"
        R"("kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-)"
        R"(1234567890ab","kmsOperation":"Encrypt","kmsRequestId":"4112f4d6-db54-4af4-ae30-)"
        R"(c55a22a8dfae","kmsViaService":"ebs"},"additionalAuthenticatedData":"cHJvamVjdD1uaW)"
        R"(dodGluZ2FsZSxkZXBhcnRtZW50PW1hcmtldGluZw==","plaintext":"SGVsbG8gV29ybGQh",)"
        R"("encryptionAlgorithm":"AES_GCM"})";
    SigningInput in{.method = request.method,
                    .target = request.target,
                    .headers = {{"Host", "xks.example.com"}},
                    .body = request.body,
                    .access_key_id = std::string(kAkid),
                    .secret = kSecret,
                    .region = "us-east-1",
                    .service = "kms-xks-proxy",
                    .amz_date = FormatAmzDate(now)};
    request.headers = in.headers;
    for (auto& h : SignRequest(in)) request.headers.push_back(std::move(h));
    request.headers.push_back({"Content-Type", "application/json"});
    request.headers.push_back({"Content-Length", std::to_string(request.body.size())});
  }
  static std::vector<Credential> MakeCreds() {
    std::vector<Credential> creds;
    creds.push_back({std::string(kAkid), SecretBytes(kSecret), "tenant-a"});
    return creds;
  }
  CredentialStore store;
  HttpRequest request;
  std::chrono::system_clock::time_point now;
};

void BM_HmacSha256_64Bytes(benchmark::State& state) {
  const std::vector<std::uint8_t> key(32, 0x42);
  const std::string data(64, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(HmacSha256(key, data));
}
BENCHMARK(BM_HmacSha256_64Bytes);

void BM_VerifyWarmCache(benchmark::State& state) {
  Fixture f;
  const SigV4Verifier verifier;
  if (!verifier.Verify(f.request, f.store, "tenant-a", f.now).ok()) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier.Verify(f.request, f.store, "tenant-a", f.now));
  }
}
BENCHMARK(BM_VerifyWarmCache);

void BM_VerifyColdCache(benchmark::State& state) {
  Fixture f;
  const SigV4Verifier verifier(SigV4Options{.signing_key_cache_capacity = 0});
  if (!verifier.Verify(f.request, f.store, "tenant-a", f.now).ok()) {
    state.SkipWithError("fixture does not verify");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier.Verify(f.request, f.store, "tenant-a", f.now));
  }
}
BENCHMARK(BM_VerifyColdCache);

}  // namespace
}  // namespace xks::auth

BENCHMARK_MAIN();
