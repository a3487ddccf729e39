#pragma once
// Secret references in the configuration ({"file": path} or {"env": NAME}) and the secret-file
// checks for PIN files, SigV4 secret files and the TLS private key. Messages name the file, never
// its content. Internal to proxy/tenant.

#include <optional>
#include <string>
#include <string_view>

#include "base/secret_bytes.h"
#include "proxy/config/config.h"
#include "proxy/config/config_checker.h"

namespace xks::config::parsing {

// The TLS private key gets the secret-file checks on an open descriptor; OpenSSL loads it later.
void CheckTlsPrivateKeyFile(const std::string& file, const std::string& path, Checker& c);

// Parses {"file": path} or {"env": NAME}; inline secrets are refused on purpose so the config file
// can be shared and versioned. A file is checked (owner-only regular file), an env variable must be
// set and non-empty.
std::optional<SecretRef> ParseSecretRef(const json& parent, std::string_view key,
                                        std::string_view path, std::string_view base_dir,
                                        Checker& c);

/// Reads the secret a parsed SecretRef names into zeroizing memory; problems are reported at path.
std::optional<SecretBytes> ReadSecret(const SecretRef& ref, const std::string& path, Checker& c);

}  // namespace xks::config::parsing
