#pragma once
// Maps a request path onto an XKS operation (spec "API operations"):
//   [/prefix]/kms/xks/v1/health
//   [/prefix]/kms/xks/v1/keys/{externalKeyId}/metadata | encrypt | decrypt
// The prefix is whatever precedes the first "/kms/xks/v1/"; tenant prefixes never contain that
// sequence (config validation), so the split is unambiguous. Thread-safe, never throws.

#include <optional>
#include <string>
#include <string_view>

namespace xks::api {

enum class Operation { kGetKeyMetadata, kEncrypt, kDecrypt, kGetHealthStatus };

/// "GetKeyMetadata", "Encrypt", "Decrypt", "GetHealthStatus" (audit and log spelling).
std::string_view OperationName(Operation op);

struct Route {
  std::string path_prefix;  ///< "" or "/a/b" (not yet known to be a tenant)
  Operation operation = Operation::kGetHealthStatus;
  std::string external_key_id;  ///< the raw path segment (non-empty, no '/'); "" for health
};

/// The path part of a request-target (everything before '?').
std::string_view PathOfTarget(std::string_view target);

/// The route for `path`, or nullopt when it names no XKS operation.
std::optional<Route> ParseXksPath(std::string_view path);

}  // namespace xks::api
