#include "tools/loadgen/request_template.h"

#include <nlohmann/json.hpp>

#include "proxy/auth/sigv4_canonical.h"

namespace xks::loadgen {
namespace {

// The lower-case, sorted names of RequestTemplate::signed_ (what curl and botocore sign, give or
// take X-Amz-Content-SHA256, which XKS does not require).
const std::vector<std::string>& SignedNames() {
  static const std::vector<std::string> kNames = {"content-type", "host", "x-amz-date"};
  return kNames;
}
constexpr std::string_view kSignedHeaderList = "content-type;host;x-amz-date";

nlohmann::json RequestMetadata(const BodyParams& p, std::string_view kms_operation, bool key_arn) {
  nlohmann::json md = {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/xks-loadgen"},
                       {"kmsOperation", kms_operation},
                       {"kmsRequestId", "xks-loadgen-" + p.tag + "-" +
                                            std::string(RequestTemplate::kRequestIdSlot)}};
  if (key_arn) {
    md["kmsKeyArn"] = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  }
  return md;
}

void AddAad(nlohmann::json& body, const BodyParams& p) {
  if (!p.aad_b64.empty()) body["additionalAuthenticatedData"] = p.aad_b64;
}

}  // namespace

RequestTemplate::RequestTemplate(Op op, std::string target, std::string host_header,
                                 std::string body)
    : op_(op), target_(std::move(target)), body_(std::move(body)) {
  id_offset_ = body_.find(kRequestIdSlot);
  head_ = "POST " + target_ + " HTTP/1.1\r\nHost: " + host_header +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
          "\r\n";
  signed_ = {{"Content-Type", "application/json"}, {"Host", host_header}, {"X-Amz-Date", ""}};
}

std::string OperationPath(std::string_view prefix, Op op, std::string_view key_id) {
  std::string path = std::string(prefix) + "/kms/xks/v1";
  if (op == Op::kHealth) return path + "/health";
  return path.append("/keys/").append(key_id).append("/").append(OpName(op));
}

std::string EncryptBody(const BodyParams& p) {
  nlohmann::json body = {{"requestMetadata", RequestMetadata(p, "GenerateDataKey", true)},
                         {"plaintext", p.plaintext_b64},
                         {"encryptionAlgorithm", "AES_GCM"}};
  AddAad(body, p);
  return body.dump();
}

std::string DecryptBody(const BodyParams& p, std::string_view encrypt_answer) {
  const auto answer = nlohmann::json::parse(encrypt_answer, nullptr, false);
  if (!answer.is_object()) return "";
  nlohmann::json body = {{"requestMetadata", RequestMetadata(p, "Decrypt", true)},
                         {"encryptionAlgorithm", "AES_GCM"}};
  for (const char* field : {"ciphertext", "initializationVector", "authenticationTag"}) {
    const auto it = answer.find(field);
    if (it == answer.end() || !it->is_string()) return "";
    body[field] = *it;
  }
  if (const auto it = answer.find("ciphertextMetadata"); it != answer.end()) {
    body["ciphertextMetadata"] = *it;
  }
  AddAad(body, p);
  return body.dump();
}

std::string MetadataBody(const BodyParams& p) {
  return nlohmann::json{{"requestMetadata", RequestMetadata(p, "DescribeKey", false)}}.dump();
}

std::string HealthBody(const BodyParams& p) {
  nlohmann::json md = RequestMetadata(p, "KmsHealthCheck", false);
  md.erase("awsPrincipalArn");
  return nlohmann::json{{"requestMetadata", md}}.dump();
}

TemplateSet MakeTemplates(const BodyParams& p, std::string_view prefix,
                          std::string_view host_header,
                          const std::vector<std::string>& encrypt_answers) {
  TemplateSet set;
  const std::string host(host_header);
  auto add = [&](Op op, std::string body) {
    set[static_cast<std::size_t>(op)].emplace_back(op, OperationPath(prefix, op, p.key_id), host,
                                                   std::move(body));
  };
  add(Op::kEncrypt, EncryptBody(p));
  add(Op::kMetadata, MetadataBody(p));
  add(Op::kHealth, HealthBody(p));
  for (const std::string& answer : encrypt_answers) {
    std::string body = DecryptBody(p, answer);
    if (!body.empty()) add(Op::kDecrypt, std::move(body));
  }
  return set;
}

RequestSigner::RequestSigner(std::string access_key_id, const SecretBytes& secret,
                             std::string region)
    : access_key_id_(std::move(access_key_id)),
      secret_(secret.Clone()),
      region_(std::move(region)) {}

void RequestSigner::UpdateDate(std::chrono::system_clock::time_point now) {
  const auto second = std::chrono::floor<std::chrono::seconds>(now);
  if (second == date_second_ && !amz_date_.empty()) return;
  date_second_ = second;
  amz_date_ = auth::FormatAmzDate(now);
  const std::string day = amz_date_.substr(0, 8);
  if (day != day_) {
    day_ = day;
    signing_key_ = auth::DeriveSigningKey(secret_.view(), day_, region_, auth::kXksServiceName);
    scope_ = auth::CredentialScope(day_, region_, auth::kXksServiceName);
  }
}

void RequestSigner::Build(RequestTemplate& t, std::uint64_t request_number,
                          std::chrono::system_clock::time_point now, std::string& out) {
  UpdateDate(now);
  if (t.id_offset_ != std::string::npos) {
    constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < RequestTemplate::kRequestIdSlot.size(); ++i) {
      t.body_[t.id_offset_ + i] = kHex[(request_number >> (60 - 4 * i)) & 0xf];
    }
  }
  t.signed_[2].value = amz_date_;
  const std::string canonical =
      auth::CanonicalRequest("POST", t.target_, t.signed_, SignedNames(), Sha256Hex(t.body_));
  const Sha256Digest signature =
      auth::ComputeSignature(signing_key_.span(), auth::StringToSign(amz_date_, scope_, canonical));
  out.clear();
  out.append(t.head_).append("X-Amz-Date: ").append(amz_date_);
  out.append("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=").append(access_key_id_);
  out.append("/").append(scope_).append(", SignedHeaders=").append(kSignedHeaderList);
  out.append(", Signature=").append(HexEncode(signature)).append("\r\n\r\n").append(t.body_);
}

}  // namespace xks::loadgen
