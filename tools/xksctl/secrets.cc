#include "tools/xksctl/secrets.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/base64.h"
#include "base/hex.h"
#include "base/random.h"
#include "base/secret_file.h"
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
  // The file ends with "\n" so it reads well in an editor; every reader strips it again.
  SecretBytes with_newline(content.size() + 1);
  std::memcpy(with_newline.data(), content.data(), content.size());
  with_newline.data()[content.size()] = '\n';
  auto written = ::xks::WriteNewSecretFile(path, with_newline.span(), 0600);
  if (written.ok()) return;
  const SystemError& e = written.error();
  if (e.what == "create") {
    throw OperationError(
        "cannot create secret file " + path + ": " + std::strerror(e.sys_errno) +
        (e.sys_errno == EEXIST ? " (an existing secret is never overwritten)" : ""));
  }
  throw OperationError("cannot write secret file " + path + ": " + e.Message());
}

SecretBytes ReadSecretFile(const std::string& path) {
  // Symlinks are followed, as the proxy does for its secrets (Kubernetes mounts).
  auto secret = ::xks::ReadSecretFile(path, {.max_bytes = 4096, .follow_symlinks = true});
  if (secret.ok()) return std::move(secret).value();
  const SecretFileError& e = secret.error();
  switch (e.kind) {
    case SecretFileErrorKind::kMissing:
    case SecretFileErrorKind::kSymlink:
    case SecretFileErrorKind::kIo:
      throw OperationError("cannot read " + path + ": " + std::strerror(e.sys_errno));
    case SecretFileErrorKind::kNotRegular:
    case SecretFileErrorKind::kAccessibleByOthers:
    case SecretFileErrorKind::kTooLarge:
      break;
    case SecretFileErrorKind::kEmpty:
      throw OperationError(path + " is empty");
  }
  throw OperationError(path +
                       " must be a regular file of at most 4096 bytes with mode 0600 "
                       "(run: chmod 600 " +
                       path + ")");
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
