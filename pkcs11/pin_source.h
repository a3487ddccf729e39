#pragma once
// Where a token's user PIN comes from: a file or an environment variable, never a command line.
// Does not include pkcs11.h.

#include <string>

#include "base/secret_bytes.h"
#include "pkcs11/hsm_error.h"

namespace xks::pkcs11 {

/// A PIN location. Value type; Read() is thread-safe (the environment must not be modified
/// concurrently, as for any getenv).
class PinSource {
 public:
  /// The PIN is the content of `path`, one trailing "\n" or "\r\n" removed. The file must be a
  /// regular file without group/other permission bits (mode & 077 == 0); otherwise Read() fails.
  /// A symlink is followed (Kubernetes mounts secrets that way); its target is checked.
  static PinSource File(std::string path);
  /// The PIN is the value of environment variable `name`.
  static PinSource Env(std::string name);

  /// Reads the PIN. Errors (kInvalidArgument): missing file or variable, bad permissions, empty
  /// PIN, PIN longer than 256 bytes. Messages name the file or variable, never the PIN.
  HsmResult<SecretBytes> Read() const;

  /// "file:/path" or "env:NAME" (for logs; contains no secret).
  std::string Describe() const;

 private:
  enum class Kind { kFile, kEnv };
  PinSource(Kind kind, std::string where) : kind_(kind), where_(std::move(where)) {}
  Kind kind_;
  std::string where_;
};

}  // namespace xks::pkcs11
