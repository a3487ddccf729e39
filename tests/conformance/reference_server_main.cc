// conformance_reference_server: runs the test reference XKS endpoint by hand, e.g. to try
// xks-conformance or curl against it. Prints an env file for xks-conformance on stdout, then serves
// until stdin closes. Usage: conformance_reference_server [--tls CERT KEY] [--misbehave NAME]...
#include <iostream>
#include <map>
#include <string>

#include "tests/conformance/reference_server.h"

int main(int argc, char** argv) {
  using xks::conformance::testing::Misbehaviour;
  const std::map<std::string, bool Misbehaviour::*> kFlags = {
      {"not-found-as-400", &Misbehaviour::not_found_as_400},
      {"health-missing-ekm-vendor", &Misbehaviour::health_missing_ekm_vendor},
      {"cdiv-without-aad", &Misbehaviour::cdiv_without_aad},
      {"accept-bad-signature", &Misbehaviour::accept_bad_signature},
      {"ignore-ciphertext-metadata", &Misbehaviour::ignore_ciphertext_metadata},
      {"get-returns-200", &Misbehaviour::get_returns_200},
      {"oversize-ciphertext-metadata", &Misbehaviour::oversize_ciphertext_metadata},
      {"reused-iv", &Misbehaviour::reused_iv},
      {"no-clock-skew-check", &Misbehaviour::no_clock_skew_check},
      {"close-after-response", &Misbehaviour::close_after_response},
      {"ignore-key-usage", &Misbehaviour::ignore_key_usage},
      {"reject-unknown-fields", &Misbehaviour::reject_unknown_fields},
      {"require-uuid-request-id", &Misbehaviour::require_uuid_request_id},
      {"lax-base64", &Misbehaviour::lax_base64},
      {"weak-tls", &Misbehaviour::weak_tls},
      {"cross-tenant-keys", &Misbehaviour::cross_tenant_keys},
      {"reject-16-byte-iv", &Misbehaviour::reject_16_byte_iv},
      {"aad-without-lengths", &Misbehaviour::aad_without_lengths},
      {"plaintext-limit-4096", &Misbehaviour::plaintext_limit_4096},
      {"aad-limit-4096", &Misbehaviour::aad_limit_4096},
      {"arn-limit-1024", &Misbehaviour::arn_limit_1024},
      {"lowercase-health-status", &Misbehaviour::lowercase_health_status},
      {"fleet-size-zero", &Misbehaviour::fleet_size_zero}};
  xks::conformance::testing::ReferenceServerOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tls" && i + 2 < argc) {
      options.tls = true;
      options.cert_file = argv[++i];
      options.key_file = argv[++i];
    } else if (arg == "--misbehave" && i + 1 < argc && kFlags.count(argv[i + 1])) {
      options.misbehaviour.*kFlags.at(argv[++i]) = true;
    } else {
      std::cerr << "usage: " << argv[0] << " [--tls CERT KEY] [--misbehave NAME]...\nnames:";
      for (const auto& [name, flag] : kFlags) std::cerr << " " << name;
      std::cerr << "\n";
      return 2;
    }
  }
  std::string error;
  auto server = xks::conformance::testing::ReferenceServer::Start(options, error);
  if (!server) {
    std::cerr << error << "\n";
    return 1;
  }
  const auto c = server->MakeConfig();
  std::cout << "XKS_ENDPOINT=" << c.endpoint << "\nXKS_URI_PREFIX=" << c.tenant.uri_prefix
            << "/kms/xks/v1\nXKS_ACCESS_KEY_ID=" << c.tenant.access_key_id
            << "\nXKS_SECRET_ACCESS_KEY=" << c.tenant.secret_access_key
            << "\nXKS_KEY_ID=" << c.tenant.key_id
            << "\nXKS_ENCRYPT_ONLY_KEY_ID=" << c.encrypt_only_key_id
            << "\nXKS_DECRYPT_ONLY_KEY_ID=" << c.decrypt_only_key_id
            << "\nXKS_NO_USAGE_KEY_ID=" << c.no_usage_key_id
            << "\nXKS_DISABLED_KEY_ID=" << c.disabled_key_id
            << "\nXKS_TENANT2_URI_PREFIX=" << c.tenant2.uri_prefix
            << "/kms/xks/v1\nXKS_TENANT2_ACCESS_KEY_ID=" << c.tenant2.access_key_id
            << "\nXKS_TENANT2_SECRET_ACCESS_KEY=" << c.tenant2.secret_access_key
            << "\nXKS_TENANT2_KEY_ID=" << c.tenant2.key_id << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
