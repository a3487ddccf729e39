#pragma once
// Pre-built XKS requests: the request line, the fixed headers and the JSON body are made once at
// start-up; per request only the kmsRequestId digits are patched in place and the X-Amz-Date and
// SigV4 Authorization headers computed (with the proxy's own SigV4 building blocks,
// proxy/auth/sigv4_canonical.h, and a signing key derived once per day), so a request costs two
// SHA-256 passes, one HMAC and a memcpy.
//
// Thread safety: none; each worker owns its templates and its RequestSigner.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "proxy/common/http_message.h"
#include "tools/loadgen/mix.h"

namespace xks::loadgen {

/// What the bodies are made of.
struct BodyParams {
  std::string key_id;
  std::string plaintext_b64;  // of --plaintext-bytes random bytes
  std::string aad_b64;        // of --aad-bytes random bytes; "" for none
  std::string tag = "w0";     // part of every kmsRequestId, so ids differ across workers
};

/// One request of one operation, ready to sign.
class RequestTemplate {
 public:
  /// `body` must contain kRequestIdSlot exactly once; it is replaced per request.
  RequestTemplate(Op op, std::string target, std::string host_header, std::string body);

  /// Sixteen characters in a body where a request's number goes (as hex).
  static constexpr std::string_view kRequestIdSlot = "################";

  Op op() const { return op_; }
  const std::string& target() const { return target_; }
  const std::string& body() const { return body_; }

 private:
  friend class RequestSigner;
  Op op_;
  std::string target_;
  std::string head_;  // request line and the unsigned-by-time headers, ends with "\r\n"
  std::vector<HttpHeader> signed_;  // Content-Type, Host, X-Amz-Date (value set per request)
  std::string body_;
  std::size_t id_offset_;
};

/// The path of an operation under `prefix`, e.g. "/t/kms/xks/v1/keys/k1/encrypt".
std::string OperationPath(std::string_view prefix, Op op, std::string_view key_id);

/// The JSON bodies KMS sends (spec: requestMetadata, AES_GCM, base64 fields). The decrypt body is
/// built from an encrypt answer (`encrypt_answer`: its JSON text); empty if that lacks a field.
std::string EncryptBody(const BodyParams& p);
std::string DecryptBody(const BodyParams& p, std::string_view encrypt_answer);
std::string MetadataBody(const BodyParams& p);
std::string HealthBody(const BodyParams& p);

/// Per operation, the templates a worker cycles through: one each for encrypt, metadata and
/// health; one decrypt per answer in `encrypt_answers` (none if that is empty).
using TemplateSet = std::array<std::vector<RequestTemplate>, kOpCount>;
TemplateSet MakeTemplates(const BodyParams& p, std::string_view prefix,
                          std::string_view host_header,
                          const std::vector<std::string>& encrypt_answers);

/// Signs templates for one access key (AWS4-HMAC-SHA256, service kms-xks-proxy).
class RequestSigner {
 public:
  RequestSigner(std::string access_key_id, const SecretBytes& secret, std::string region);

  /// Writes the complete HTTP/1.1 request for `t` into `out` (replacing its content): the body
  /// with `request_number` in its kmsRequestId, X-Amz-Date from `now`, a fresh signature.
  void Build(RequestTemplate& t, std::uint64_t request_number,
             std::chrono::system_clock::time_point now, std::string& out);

 private:
  void UpdateDate(std::chrono::system_clock::time_point now);

  std::string access_key_id_;
  SecretBytes secret_;
  std::string region_;
  std::chrono::sys_seconds date_second_{};
  std::string amz_date_;
  std::string scope_;
  SecretBytes signing_key_;
  std::string day_;  // of signing_key_
};

}  // namespace xks::loadgen
