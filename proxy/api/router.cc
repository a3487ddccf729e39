#include "proxy/api/router.h"

#include <cstdlib>

namespace xks::api {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kGetKeyMetadata:
      return "GetKeyMetadata";
    case Operation::kEncrypt:
      return "Encrypt";
    case Operation::kDecrypt:
      return "Decrypt";
    case Operation::kGetHealthStatus:
      return "GetHealthStatus";
  }
  std::abort();
}

std::string_view PathOfTarget(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<Route> ParseXksPath(std::string_view path) {
  constexpr std::string_view kApi = "/kms/xks/v1/";
  const std::size_t at = path.find(kApi);
  if (at == std::string_view::npos) return std::nullopt;
  Route route;
  route.path_prefix = std::string(path.substr(0, at));
  std::string_view rest = path.substr(at + kApi.size());
  if (rest == "health") {
    route.operation = Operation::kGetHealthStatus;
    return route;
  }
  constexpr std::string_view kKeys = "keys/";
  if (rest.substr(0, kKeys.size()) != kKeys) return std::nullopt;
  rest = rest.substr(kKeys.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  route.external_key_id = std::string(rest.substr(0, slash));
  const std::string_view op = rest.substr(slash + 1);
  if (op == "metadata") {
    route.operation = Operation::kGetKeyMetadata;
  } else if (op == "encrypt") {
    route.operation = Operation::kEncrypt;
  } else if (op == "decrypt") {
    route.operation = Operation::kDecrypt;
  } else {
    return std::nullopt;
  }
  return route;
}

}  // namespace xks::api
