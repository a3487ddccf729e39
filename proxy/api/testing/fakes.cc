#include "proxy/api/testing/fakes.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/openssl.h"
#include "base/random.h"

namespace xks::api::testing {
namespace {

KeyAttributes Aes256() {
  KeyAttributes a;
  a.key_type = "AES";
  a.bits = 256;
  a.encrypt = a.decrypt = true;
  return a;
}

bool Gcm(bool encrypt, const Key32& key, std::span<const std::uint8_t> iv,
         std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in, std::uint8_t* out,
         std::uint8_t* tag) {
  EvpCipherCtxPtr owner(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX* ctx = owner.get();
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) &&
      EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), iv.data(), -1);
  if (ok && !aad.empty()) {
    ok = EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size()));
  }
  if (ok && !in.empty()) {
    ok = EVP_CipherUpdate(ctx, out, &len, in.data(), static_cast<int>(in.size()));
  }
  if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag);
  std::uint8_t final_block[16];
  if (ok) ok = EVP_CipherFinal_ex(ctx, final_block, &len) == 1;
  if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
  return ok;
}

}  // namespace

void FakeKeyBackend::AddKey(const std::string& token, const std::string& label,
                            const Key32& material, std::optional<KeyAttributes> attributes) {
  std::lock_guard<std::mutex> l(mu_);
  tokens_[token][label] = FakeKey{material, attributes.value_or(Aes256())};
}

void FakeKeyBackend::SetAttributes(const std::string& token, const std::string& label,
                                   KeyAttributes attributes) {
  std::lock_guard<std::mutex> l(mu_);
  tokens_[token][label].attributes = std::move(attributes);
}

void FakeKeyBackend::FailNext(const std::string& call, Error error) {
  std::lock_guard<std::mutex> l(mu_);
  fail_next_[call] = std::move(error);
}

void FakeKeyBackend::SetHealth(const std::string& token, bool ok) {
  std::lock_guard<std::mutex> l(mu_);
  health_[token] = ok;
}

int FakeKeyBackend::calls(const std::string& call) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = calls_.find(call);
  return it == calls_.end() ? 0 : it->second;
}

std::vector<std::uint8_t> FakeKeyBackend::last_hsm_aad() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_hsm_aad_;
}

KeyLocation FakeKeyBackend::last_location() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_location_;
}

std::optional<Error> FakeKeyBackend::TakeFailure(const std::string& call) {
  ++calls_[call];
  auto it = fail_next_.find(call);
  if (it == fail_next_.end()) return std::nullopt;
  Error e = std::move(it->second);
  fail_next_.erase(it);
  return e;
}

ProxyResult<const FakeKeyBackend::FakeKey*> FakeKeyBackend::Find(const KeyLocation& key) {
  last_location_ = key;
  auto t = tokens_.find(key.token_id);
  if (t == tokens_.end()) return Fail(MakeError(ErrorName::kKeyNotFound, "no such token"));
  auto k = t->second.find(key.key_label);
  if (k == t->second.end()) return Fail(MakeError(ErrorName::kKeyNotFound, "no such key"));
  return &k->second;
}

ProxyResult<KeyAttributes> FakeKeyBackend::Describe(const KeyLocation& key, Deadline) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto e = TakeFailure("Describe")) return Fail(std::move(*e));
  auto k = Find(key);
  if (!k.ok()) return Fail(std::move(k).error());
  return (*k)->attributes;
}

ProxyResult<SealedData> FakeKeyBackend::Encrypt(const KeyLocation& key,
                                                std::span<const std::uint8_t> plaintext,
                                                std::span<const std::uint8_t> hsm_aad, Deadline) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto e = TakeFailure("Encrypt")) return Fail(std::move(*e));
  auto k = Find(key);
  if (!k.ok()) return Fail(std::move(k).error());
  last_hsm_aad_.assign(hsm_aad.begin(), hsm_aad.end());
  SealedData out;
  out.iv.resize(12);
  if (!FillRandom(out.iv)) return Fail(MakeError(ErrorName::kInternal, "rand"));
  out.ciphertext.resize(plaintext.size());
  if (!Gcm(true, (*k)->material, out.iv, hsm_aad, plaintext, out.ciphertext.data(),
           out.tag.data())) {
    return Fail(MakeError(ErrorName::kInternal, "gcm encrypt failed"));
  }
  if (corrupt_next_encrypt_) {
    corrupt_next_encrypt_ = false;
    out.tag[0] ^= 0x01;
  }
  return out;
}

ProxyResult<SecretBytes> FakeKeyBackend::Decrypt(const KeyLocation& key,
                                                 std::span<const std::uint8_t> iv,
                                                 std::span<const std::uint8_t> ciphertext,
                                                 std::span<const std::uint8_t> tag,
                                                 std::span<const std::uint8_t> hsm_aad, Deadline) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto e = TakeFailure("Decrypt")) return Fail(std::move(*e));
  auto k = Find(key);
  if (!k.ok()) return Fail(std::move(k).error());
  // As an HSM does for a key without CKA_DECRYPT (CKR_KEY_FUNCTION_NOT_PERMITTED).
  if (!(*k)->attributes.decrypt) {
    return Fail(MakeError(ErrorName::kInvalidKeyUsage, "key function not permitted"));
  }
  last_hsm_aad_.assign(hsm_aad.begin(), hsm_aad.end());
  SecretBytes out(ciphertext.size());
  std::array<std::uint8_t, 16> t{};
  std::copy(tag.begin(), tag.end(), t.begin());
  if (tag.size() != 16 ||
      !Gcm(false, (*k)->material, iv, hsm_aad, ciphertext, out.data(), t.data())) {
    return Fail(MakeError(ErrorName::kInvalidCiphertext, "tag mismatch"));
  }
  return out;
}

ProxyResult<void> FakeKeyBackend::CheckTokenHealth(std::string_view token_id, Deadline) {
  std::function<void()> delay;
  bool ok = true;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_["CheckTokenHealth"];
    auto it = health_.find(std::string(token_id));
    if (it != health_.end()) ok = it->second;
    delay = health_delay_;
  }
  if (delay) delay();
  if (!ok) return Fail(MakeError(ErrorName::kInternal, "health check failed"));
  return {};
}

std::string FakeKeyBackend::TokenModel(std::string_view token_id) {
  return "FakeHSM 1.0 (token '" + std::string(token_id) + "')";
}

ProxyResult<Caller> FakeAuthenticator::Authenticate(const HttpRequest& request,
                                                    std::string_view tenant) {
  auto claimed = request.Header("X-Test-Tenant");
  if (!claimed || *claimed != tenant) {
    return Fail(MakeError(ErrorName::kAuthenticationFailed, "fake: wrong tenant",
                          "fake wrong_tenant: X-Test-Tenant does not name the tenant"));
  }
  auto key = request.Header("X-Test-Access-Key");
  return Caller{key ? std::string(*key) : std::string(), "us-east-1"};
}

std::optional<std::string> FakeAuthenticator::PresentedAccessKeyId(const HttpRequest& request) {
  auto key = request.Header("X-Test-Access-Key");
  if (!key) return std::nullopt;
  return std::string(*key);
}

ProxyResult<std::uint64_t> RecordingAuditSink::Append(const audit::AuditEvent& event) {
  std::lock_guard<std::mutex> l(mu_);
  ++waited_appends_;
  if (fail_) return Fail(MakeError(ErrorName::kInternal, "audit unavailable", "disk full"));
  events_.push_back(event);
  return static_cast<std::uint64_t>(events_.size());
}

void RecordingAuditSink::AppendNoWait(audit::AuditEvent event) {
  std::lock_guard<std::mutex> l(mu_);
  ++queued_appends_;
  events_.push_back(std::move(event));
}

int RecordingAuditSink::waited_appends() const {
  std::lock_guard<std::mutex> l(mu_);
  return waited_appends_;
}

int RecordingAuditSink::queued_appends() const {
  std::lock_guard<std::mutex> l(mu_);
  return queued_appends_;
}

bool RecordingAuditSink::Healthy() const {
  std::lock_guard<std::mutex> l(mu_);
  return healthy_;
}

std::vector<audit::AuditEvent> RecordingAuditSink::events() const {
  std::lock_guard<std::mutex> l(mu_);
  return events_;
}

std::string RecordingAuditSink::AllText() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  for (const auto& e : events_) {
    nlohmann::json j = {{"operation", e.operation},
                        {"tenant", e.tenant},
                        {"external_key_id", e.external_key_id},
                        {"key_label", e.key_label},
                        {"request_metadata", e.request_metadata},
                        {"access_key_id", e.access_key_id},
                        {"client_address", e.client_address},
                        {"client_cert_subject", e.client_cert_subject.value_or("")},
                        {"http_method", e.http_method},
                        {"http_path", e.http_path},
                        {"result", e.result},
                        {"policy_statement", e.policy_statement},
                        {"details", e.details}};
    out += j.dump() + "\n";
  }
  return out;
}

void RecordingLogger::Log(LogLevel level, std::string_view line) {
  std::lock_guard<std::mutex> l(mu_);
  lines_.push_back(std::string(LogLevelName(level)) + " " + std::string(line));
}

std::vector<std::string> RecordingLogger::lines() const {
  std::lock_guard<std::mutex> l(mu_);
  return lines_;
}

std::chrono::steady_clock::time_point ManualClock::Now() const {
  std::lock_guard<std::mutex> l(mu_);
  return now_;
}

void ManualClock::Advance(std::chrono::steady_clock::duration d) {
  std::lock_guard<std::mutex> l(mu_);
  now_ += d;
}

SteadyClock ManualClock::AsFunction() {
  return [this] { return Now(); };
}

}  // namespace xks::api::testing
