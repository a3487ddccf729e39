#pragma once
// The erasure certificate that `xksctl tenant shred` / `key shred` writes, as far as signing and
// verifying it goes: the bytes its signature covers (the audit records' canonical serialisation),
// and the details of the shred event in xksctl's audit chain that bind the event to one
// certificate. Both sides derive the event details from the certificate with the same function,
// so they cannot drift. Format: docs/erasure-verification.md. Pure functions; never throw.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "proxy/audit/checkpoint_signer.h"

namespace xks::audit {

inline constexpr std::string_view kErasureCertificateType = "xks-erasure-certificate";
/// 2: certificate_id, members, complete, canonical signature. 1 (before) cannot be verified.
inline constexpr int kErasureCertificateFormat = 2;
inline constexpr std::string_view kTenantShredOperation = "tenant.shred";
inline constexpr std::string_view kKeyShredOperation = "key.shred";

/// The bytes the signature covers: CanonicalBody (audit_record.h) of `certificate` without its
/// "signature" member.
std::string ErasureCertificatePayload(const nlohmann::json& certificate);

/// Signs ErasureCertificatePayload(certificate) with `signer` (the audit signing key). Returns
/// {"algorithm","key_id","public_key_pem","signed_payload","value"} or {"unsigned": reason}.
nlohmann::json SignErasureCertificate(CheckpointSigner& signer, const nlohmann::json& certificate);

/// The `details` of the shred event for `certificate` (scope, certificate_id, tokens, labels,
/// versions, started_at, completed_at, complete): what the verifier expects to find in the
/// event, field by field. Members missing from an older or damaged certificate come out empty.
nlohmann::json ShredEventDetails(const nlohmann::json& certificate);

/// "tenant.shred" or "key.shred" for the certificate's scope.
std::string ShredOperationOf(const nlohmann::json& certificate);

}  // namespace xks::audit
