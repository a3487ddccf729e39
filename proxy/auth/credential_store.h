#pragma once
// The SigV4 credentials the proxy accepts: access key id -> secret access key + owning tenant.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/secret_bytes.h"

namespace xks::auth {

/// One SigV4 credential (spec "Appendix A"): the access key id KMS presents, the secret it signs
/// with (zeroizing, never printed) and the tenant whose URI prefix it may be used on. A tenant may
/// hold several (spec "SigV4 credentials rotation": at least two at once).
struct Credential {
  std::string access_key_id;
  SecretBytes secret;
  std::string tenant;
};

/// The set of credentials, indexed by access key id.
/// Immutable after construction; thread-safe for concurrent reads. Built by the config loader; on
/// reload a new store is built and swapped atomically by the caller (e.g. a
/// std::shared_ptr<const CredentialStore> published with std::atomic_store).
/// Each store gets a process-unique generation number, which the verifier's signing-key cache uses
/// so a rotated secret (a new store) can never hit a key derived from the old one.
/// The constructor does not validate formats (the reference vectors use ids such as "AKIDEXAMPLE");
/// the config loader validates with IsValidAccessKeyId/IsValidSecretAccessKey. If an access key id
/// appears twice, the first entry wins; the loader should reject duplicates before building.
class CredentialStore {
 public:
  explicit CredentialStore(std::vector<Credential> credentials);
  CredentialStore(const CredentialStore&) = delete;
  CredentialStore& operator=(const CredentialStore&) = delete;

  /// The credential for `access_key_id` (exact, case-sensitive match), or nullptr if unknown. The
  /// pointer lives as long as this store.
  const Credential* Find(std::string_view access_key_id) const;
  /// Number of distinct access key ids.
  std::size_t size() const;
  /// Process-unique, never reused; distinct for every store ever constructed.
  std::uint64_t generation() const { return generation_; }

 private:
  std::vector<Credential> credentials_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::uint64_t generation_;
};

/// Spec Appendix A: an access key id is 20 to 30 characters of 'A'-'Z' and '2'-'7'.
bool IsValidAccessKeyId(std::string_view id);
/// Spec Appendix A: KMS accepts secrets of A-Z a-z 0-9 + / =; length 43 to 64 characters (the
/// lengths KMS's CreateCustomKeyStore enforces).
bool IsValidSecretAccessKey(std::string_view s);

}  // namespace xks::auth
