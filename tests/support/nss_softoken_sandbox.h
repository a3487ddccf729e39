#pragma once
// A throw-away NSS software token (libsoftokn3.so from Debian's libnss3) for tests: a temp NSS
// database whose key slot is protected by a known user PIN, removed on destruction.
//
// Why a second software module: SoftHSMv2 2.6 cannot do bring-your-own-key (its C_UnwrapKey takes
// RSA-OAEP only with SHA-1, and unwrapped keys do not report CKA_VALUE_LEN), while NSS softokn
// does both. It also proves the PKCS#11 layer against a second, independent module. NSS takes its
// configuration in C_Initialize's pReserved string (ModuleConfig::initialize_parameters) and, like
// SoftHSM, can be initialized only once per process at a time: one sandbox per process.

#include <memory>
#include <string>
#include <string_view>

#include "pkcs11/hsm.h"

namespace xks::testing {

class NssSoftokenSandbox {
 public:
  /// The token's URI: NSS names its key-database token "NSS Certificate DB".
  static constexpr std::string_view kTokenUri = "pkcs11:token=NSS%20Certificate%20DB";

  /// Creates the directory (as MakeTempTestDir), an empty NSS database in <dir>/nssdb, and sets
  /// its user PIN with `certutil -N` (Debian libnss3-tools), as an operator would. On failure
  /// returns nullptr and sets `*error`.
  static std::unique_ptr<NssSoftokenSandbox> Create(std::string* error = nullptr);
  /// Removes the directory.
  ~NssSoftokenSandbox();
  NssSoftokenSandbox(const NssSoftokenSandbox&) = delete;
  NssSoftokenSandbox& operator=(const NssSoftokenSandbox&) = delete;

  /// The libsoftokn3.so path this build found (XKS_NSS_SOFTOKN_MODULE).
  static std::string ModulePath();

  const std::string& dir() const { return dir_; }
  /// "configdir='sql:<dir>/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db' flags=".
  const std::string& initialize_parameters() const { return initialize_parameters_; }
  /// The user PIN file (0600).
  const std::string& user_pin_file() const { return user_pin_file_; }
  /// {module = ModulePath(), initialize_parameters}.
  pkcs11::ModuleConfig module_config() const;
  /// token = kTokenUri, PIN from user_pin_file().
  pkcs11::TokenConfig token_config(std::size_t max_sessions = 2) const;

 private:
  NssSoftokenSandbox() = default;
  std::string dir_;
  std::string initialize_parameters_;
  std::string user_pin_file_;
};

}  // namespace xks::testing
