#include "pkcs11/pin_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace xks::pkcs11 {
namespace {

constexpr std::size_t kMaxPinBytes = 256;

HsmError PinError(std::string message) {
  return MakeHsmError(HsmErrorKind::kInvalidArgument, std::move(message));
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
    // O_NOFOLLOW-free on purpose: a symlinked secret (e.g. Kubernetes) is fine; the target's mode
    // is what fstat checks.
    const int fd = open(where_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(PinError("cannot open PIN file " + where_));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return Fail(PinError("PIN file is not a regular file: " + where_));
    }
    if ((st.st_mode & 077) != 0) {
      close(fd);
      return Fail(
          PinError("PIN file must not be accessible by group or others (chmod 600): " + where_));
    }
    SecretBytes buffer(kMaxPinBytes + 3);
    std::size_t used = 0;
    while (used < buffer.size()) {
      const ssize_t n = read(fd, buffer.data() + used, buffer.size() - used);
      if (n < 0) {
        close(fd);
        return Fail(PinError("cannot read PIN file " + where_));
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    close(fd);
    buffer.Truncate(used);
    if (used > 0 && buffer.data()[used - 1] == '\n') buffer.Truncate(--used);
    if (used > 0 && buffer.data()[used - 1] == '\r') buffer.Truncate(--used);
    pin = std::move(buffer);
  }
  if (pin.empty()) return Fail(PinError("empty PIN from " + Describe()));
  if (pin.size() > kMaxPinBytes) return Fail(PinError("PIN too long from " + Describe()));
  return pin;
}

}  // namespace xks::pkcs11
