#include "pkcs11/pin_source.h"

#include <cstdlib>
#include <cstring>

#include "base/secret_file.h"

namespace xks::pkcs11 {
namespace {

constexpr std::size_t kMaxPinBytes = 256;

// Symlinks are followed on purpose: a symlinked secret (e.g. Kubernetes) is fine; the target's
// mode is what is checked. The raw cap leaves room for a "\r\n" after the longest PIN; an empty
// file is reported below as an empty PIN, like an empty variable.
constexpr SecretFileOptions kPinFileOptions{
    .max_bytes = kMaxPinBytes + 2, .follow_symlinks = true, .allow_empty = true};

HsmError PinError(std::string message) {
  return MakeHsmError(HsmErrorKind::kInvalidArgument, std::move(message));
}

// The message names the file, never its content.
std::string DescribePinFileError(const SecretFileError& e) {
  switch (e.kind) {
    case SecretFileErrorKind::kMissing:
    case SecretFileErrorKind::kSymlink:
      return "cannot open PIN file " + e.path;
    case SecretFileErrorKind::kNotRegular:
      return "PIN file is not a regular file: " + e.path;
    case SecretFileErrorKind::kAccessibleByOthers:
      return "PIN file must not be accessible by group or others (chmod 600): " + e.path;
    case SecretFileErrorKind::kTooLarge:
      return "PIN too long from file:" + e.path;
    case SecretFileErrorKind::kEmpty:
      return "empty PIN from file:" + e.path;
    case SecretFileErrorKind::kIo:
      break;
  }
  return "cannot read PIN file " + e.path;
}

}  // namespace

PinSource PinSource::File(std::string path) { return PinSource(Kind::kFile, std::move(path)); }
PinSource PinSource::Env(std::string name) { return PinSource(Kind::kEnv, std::move(name)); }

std::string PinSource::Describe() const {
  return (kind_ == Kind::kFile ? "file:" : "env:") + where_;
}

HsmResult<SecretBytes> PinSource::Read() const {
  SecretBytes pin;
  if (kind_ == Kind::kEnv) {
    const char* value = std::getenv(where_.c_str());
    if (value == nullptr) return Fail(PinError("PIN environment variable not set: " + where_));
    pin = SecretBytes(std::string_view(value, std::strlen(value)));
  } else {
    auto file = ReadSecretFile(where_, kPinFileOptions);
    if (!file.ok()) return Fail(PinError(DescribePinFileError(file.error())));
    pin = std::move(file).value();
  }
  if (pin.empty()) return Fail(PinError("empty PIN from " + Describe()));
  if (pin.size() > kMaxPinBytes) return Fail(PinError("PIN too long from " + Describe()));
  return pin;
}

}  // namespace xks::pkcs11
