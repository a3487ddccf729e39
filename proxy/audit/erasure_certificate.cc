#include "proxy/audit/erasure_certificate.h"

#include <cstdint>
#include <span>

#include "base/base64.h"
#include "proxy/audit/audit_record.h"

namespace xks::audit {
namespace {

std::string StringOf(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool BoolOf(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const nlohmann::json& ArrayOf(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace

std::string ErasureCertificatePayload(const nlohmann::json& certificate) {
  nlohmann::json body = certificate;
  if (body.is_object()) body.erase("signature");
  return CanonicalBody(body);
}

nlohmann::json SignErasureCertificate(CheckpointSigner& signer, const nlohmann::json& certificate) {
  const std::string payload = ErasureCertificatePayload(certificate);
  auto sig = signer.Sign(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  if (!sig.ok()) return {{"unsigned", "signing failed: " + sig.error().ToString()}};
  return {{"algorithm", signer.algorithm()},
          {"key_id", signer.key_id()},
          {"public_key_pem", signer.PublicKeyPem()},
          {"signed_payload",
           "the certificate without \"signature\" in the audit records' canonical serialisation "
           "(docs/erasure-verification.md)"},
          {"value", Base64Encode(sig.value())}};
}

nlohmann::json ShredEventDetails(const nlohmann::json& certificate) {
  const nlohmann::json& c = certificate.is_object() ? certificate : nlohmann::json::object();
  nlohmann::json members = nlohmann::json::array();
  for (const nlohmann::json& m : ArrayOf(c, "members")) {
    if (!m.is_object()) continue;
    members.push_back({{"id", StringOf(m, "id")},
                       {"serial", StringOf(m, "serial")},
                       {"complete", BoolOf(m, "complete")}});
  }
  nlohmann::json labels = nlohmann::json::array();
  nlohmann::json versions = nlohmann::json::object();
  for (const nlohmann::json& k : ArrayOf(c, "keys")) {
    if (!k.is_object()) continue;
    const std::string member = StringOf(k, "member");
    const std::string label = StringOf(k, "label");
    labels.push_back(member.empty() ? label : member + ":" + label);
    if (k.contains("external_key_id") && k.contains("version")) {
      versions[label] = StringOf(k, "external_key_id") + " v" + k["version"].dump();
    }
  }
  return {{"certificate_id", StringOf(c, "certificate_id")},
          {"scope", StringOf(c, "scope")},
          {"tokens", members},
          {"labels", labels},
          {"versions", versions},
          {"started_at", StringOf(c, "started_at")},
          {"completed_at", StringOf(c, "completed_at")},
          {"complete", BoolOf(c, "complete")}};
}

std::string ShredOperationOf(const nlohmann::json& certificate) {
  return std::string(certificate.is_object() && StringOf(certificate, "scope") == "key"
                         ? kKeyShredOperation
                         : kTenantShredOperation);
}

}  // namespace xks::audit
