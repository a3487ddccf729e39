#include "tools/xksctl/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/base64.h"
#include "base/hex.h"
#include "base/random.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl {

SecretBytes RandomBytes(std::size_t n) {
  SecretBytes out(n);
  if (!FillRandom(out.mutable_span())) {
    throw OperationError("the OpenSSL random number generator failed");
  }
  return out;
}

std::string Base32Chars(const SecretBytes& bytes, std::size_t chars) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < bytes.size() && out.size() < chars; ++i) {
    buffer = (buffer << 8) | bytes.data()[i];
    bits += 8;
    while (bits >= 5 && out.size() < chars) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (out.size() < chars) throw OperationError("internal: not enough random bytes for Base32");
  return out;
}

SecretBytes NewPin() { return HexEncodeSecret(RandomBytes(16).span()); }

std::string NewAccessKeyId() { return "XKS" + Base32Chars(RandomBytes(14), 21); }

SecretBytes NewSecretAccessKey() { return Base64EncodeSecret(RandomBytes(32).span()); }

void WriteNewSecretFile(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw OperationError("cannot create secret file " + path + ": " + std::strerror(errno) +
                         (errno == EEXIST ? " (an existing secret is never overwritten)" : ""));
  }
  // The umask may have removed bits but never adds any; make the mode exact anyway.
  bool ok = ::fchmod(fd, 0600) == 0;
  const char* p = content.data();
  std::size_t left = content.size();
  while (ok && left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ok = ok && ::write(fd, "\n", 1) == 1 && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw OperationError("cannot write secret file " + path + ": " + std::strerror(saved));
  }
}

SecretBytes ReadSecretFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw OperationError("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
      st.st_size > 4096) {
    ::close(fd);
    throw OperationError(path +
                         " must be a regular file of at most 4096 bytes with mode 0600 "
                         "(run: chmod 600 " +
                         path + ")");
  }
  SecretBytes out(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.Truncate(got);
  std::size_t n = out.size();
  if (n > 0 && out.data()[n - 1] == '\n') --n;
  if (n > 0 && out.data()[n - 1] == '\r') --n;
  out.Truncate(n);
  if (out.empty()) throw OperationError(path + " is empty");
  return out;
}

void MakePrivateDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path p(dir);
  std::filesystem::path current;
  for (const auto& part : p) {
    current /= part;
    if (std::filesystem::exists(current, ec)) continue;
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      throw OperationError("cannot create directory " + current.string() + ": " +
                           std::strerror(errno));
    }
  }
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace xks::xksctl
