// xks_e2e_token_key: puts a known AES-256 key value into a PKCS#11 token under a chosen label, for
// tests/e2e/fleet_test.sh, which needs the SAME key material in two SoftHSMv2 tokens (a fleet) and
// a DIFFERENT one under the same label in a third (a token `xksctl fleet add` must refuse).
// xksctl's own route, BYOK (`key import-params` / `key import`), cannot do it: it targets the
// tenant's primary token only, and SoftHSMv2 2.6 cannot unwrap RSA-OAEP keys (docs/xksctl.md).
// Test-only: it goes through TokenClient::ImportAesKeyForTesting (C_CreateObject, sensitive and
// non-extractable), as the issue asks ("C_CreateObject, test-only").
//
//   xks_e2e_token_key MODULE TOKEN PIN_FILE KEY_LABEL KEY_HEX_FILE [--replace]
//
// KEY_HEX_FILE holds the 32-byte value as 64 hex digits (a file, so the value is never on a
// command line). --replace first destroys every object carrying KEY_LABEL (e.g. the key
// `xksctl key create` generated, so that the configuration's mapping stays xksctl's own).
// Exit 0 on success; 1 with a message (never the key value) otherwise; 2 for bad usage.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <string>

#include "base/hex.h"
#include "pkcs11/hsm.h"

namespace {

constexpr const char* kTokenKeyUsage =
    "usage: xks_e2e_token_key MODULE TOKEN PIN_FILE KEY_LABEL KEY_HEX_FILE [--replace]\n";

int TokenKeyFailure(const std::string& what) {
  std::cerr << "xks_e2e_token_key: " << what << "\n";
  return 1;
}

// The 32-byte value from the file's first 64 hex digits (surrounding white space ignored).
std::optional<xks::SecretBytes> ReadKeyValue(const std::string& path) {
  std::ifstream in(path);
  std::string hex;
  if (!in || !(in >> hex) || hex.size() != 64) return std::nullopt;
  auto bytes = xks::HexDecode(hex);
  if (!bytes) return std::nullopt;
  xks::SecretBytes value(std::span<const std::uint8_t>(bytes->data(), bytes->size()));
  std::fill(bytes->begin(), bytes->end(), std::uint8_t{0});
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && !(argc == 7 && std::string(argv[6]) == "--replace")) {
    std::cerr << kTokenKeyUsage;
    return 2;
  }
  const std::string module_path = argv[1], token = argv[2], pin_file = argv[3], label = argv[4];
  const bool replace = argc == 7;
  auto value = ReadKeyValue(argv[5]);
  if (!value) return TokenKeyFailure(std::string(argv[5]) + ": expected 64 hex digits");

  namespace p11 = xks::pkcs11;
  p11::ModuleConfig module_config;
  module_config.module = module_path;
  auto module = p11::OpenModule(module_config);
  if (!module.ok())
    return TokenKeyFailure("cannot load " + module_path + ": " + module.error().ToLogString());
  p11::TokenConfig token_config;
  token_config.token = token;
  token_config.pin = p11::PinSource::File(pin_file);
  auto client = p11::TokenClient::Open(module.value(), token_config);
  if (!client.ok()) {
    return TokenKeyFailure("cannot open token " + token + ": " + client.error().ToLogString());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  if (replace) {
    auto destroyed = (*client)->DestroyKey(label, deadline);
    if (!destroyed.ok() && destroyed.error().kind != p11::HsmErrorKind::kNotFound) {
      return TokenKeyFailure("cannot destroy " + label + ": " + destroyed.error().ToLogString());
    }
  }
  p11::AesKeySpec spec;  // encrypt and decrypt, as `xksctl key create` makes hk
  spec.label = label;
  auto imported = (*client)->ImportAesKeyForTesting(spec, *value, deadline);
  if (!imported.ok()) {
    return TokenKeyFailure("cannot import " + label + " into " + token + ": " +
                           imported.error().ToLogString());
  }
  std::cout << "imported " << label << " into token " << token << "\n";
  return 0;
}
