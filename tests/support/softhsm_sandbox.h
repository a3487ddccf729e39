#pragma once
// A throw-away SoftHSMv2 installation for tests: a temp directory with its own softhsm2.conf and
// token store, tokens initialized with known PINs, everything removed on destruction.
//
// Usage (once per test suite; SoftHSM reads SOFTHSM2_CONF in C_Initialize and a process can have
// the module initialized only once at a time):
//
//   static void SetUpTestSuite() {
//     sandbox_ = xks::testing::SoftHsmSandbox::Create({"alpha", "beta"}).release();  // or a
//     unique_ptr module_ = xks::pkcs11::OpenModule(sandbox_->module_config()).value();
//   }
//   static void TearDownTestSuite() { module_.reset(); delete sandbox_; }  // module first!
//
// Rules: at most one sandbox alive per process; destroy every Module/TokenClient before the
// sandbox; do not run tests of one binary in parallel threads against two sandboxes. CTest runs
// each TEST in its own process (gtest_discover_tests), so per-suite setup costs one sandbox per
// test. Thread safety: construction and destruction are not thread-safe (they change the
// environment); the accessors are.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pkcs11/hsm.h"

namespace xks::testing {

class SoftHsmSandbox {
 public:
  /// One initialized token.
  struct Token {
    std::string label;
    std::string serial;
    std::string user_pin;       ///< test PIN (random per sandbox)
    std::string so_pin;         ///< test SO PIN
    std::string user_pin_file;  ///< file holding user_pin, mode 0600
  };

  /// Creates the directory (mkdtemp under $XKS_TEST_TMPDIR, else /dev/shm when writable, else
  /// $TMPDIR, else /tmp; tmpfs keeps SoftHSM's file writes fast), writes softhsm2.conf
  /// (directories.tokendir=<dir>/tokens, objectstore.backend=file, log.level=ERROR), sets
  /// SOFTHSM2_CONF, and initializes one token per label through the PKCS#11 layer (the module is
  /// finalized again before returning). On failure returns nullptr and sets `*error`.
  static std::unique_ptr<SoftHsmSandbox> Create(const std::vector<std::string>& token_labels,
                                                std::string* error = nullptr);

  /// Restores the previous SOFTHSM2_CONF and removes the directory.
  ~SoftHsmSandbox();
  SoftHsmSandbox(const SoftHsmSandbox&) = delete;
  SoftHsmSandbox& operator=(const SoftHsmSandbox&) = delete;

  /// The SoftHSM module path this build found (XKS_SOFTHSM_MODULE).
  static std::string ModulePath();

  const std::string& dir() const { return dir_; }
  /// The token created for `label`; aborts if there is none (a test bug).
  const Token& token(std::string_view label) const;
  /// {module = ModulePath()} (SoftHSM quirks are detected by the layer itself).
  pkcs11::ModuleConfig module_config() const;
  /// A TokenConfig for `label`: token = the label, PIN from the token's PIN file.
  pkcs11::TokenConfig token_config(std::string_view label, std::size_t max_sessions = 2) const;

  /// Writes `content` to <dir>/<name> with `mode`; returns the path (for PIN-file tests).
  std::string WriteFile(std::string_view name, std::string_view content, unsigned mode) const;

 private:
  SoftHsmSandbox() = default;
  std::string dir_;
  bool had_previous_conf_ = false;
  std::string previous_conf_;
  std::map<std::string, Token, std::less<>> tokens_;
};

/// Bytes from a string, for test data.
std::vector<std::uint8_t> Bytes(std::string_view s);
/// Hex decoding for test vectors; aborts on bad input (a test bug).
std::vector<std::uint8_t> FromHex(std::string_view hex);
/// `n` deterministic pseudo-random bytes (seeded), for test data.
std::vector<std::uint8_t> PatternBytes(std::size_t n, std::uint32_t seed);
/// A deadline far enough away that tests never hit it.
pkcs11::Deadline FarDeadline();

}  // namespace xks::testing
