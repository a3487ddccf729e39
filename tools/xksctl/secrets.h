#pragma once
// Fresh secrets from the OpenSSL CSPRNG (RAND_bytes) and the 0600 files that hold them.
// PINs and secret access keys are held in SecretBytes and written only to files created with
// O_EXCL and mode 0600; they are never printed (except `credential new --show-secret`).

#include <cstddef>
#include <string>

#include "base/secret_bytes.h"

namespace xks::xksctl {

/// `n` bytes from RAND_bytes. Throws OperationError when the CSPRNG fails (unlike
/// xks::RandomBytes, which aborts: here the operator gets a message).
SecretBytes RandomBytes(std::size_t n);

/// RFC 4648 Base32 alphabet (A-Z2-7), no padding: `chars` characters drawn from `bytes`, 5 bits
/// each.
std::string Base32Chars(const SecretBytes& bytes, std::size_t chars);

/// A new user or SO PIN: 16 random bytes (128 bits) as 32 hex characters.
SecretBytes NewPin();
/// A new SigV4 access key id: "XKS" + 21 random Base32 characters (105 bits); 24 characters.
std::string NewAccessKeyId();
/// A new SigV4 secret access key: Base64 of 32 random bytes (256 bits); 44 characters.
SecretBytes NewSecretAccessKey();

/// Creates `path` (must not exist) with mode 0600 and writes `content` + "\n", fsync and a checked
/// close (base/secret_file.h; the file is removed when any step fails). Throws OperationError
/// (also when the file exists, so a secret is never overwritten).
void WriteNewSecretFile(const std::string& path, std::string_view content);

/// Reads a PIN/secret file as the PKCS#11 layer does (base/secret_file.h: one trailing newline
/// removed; a regular file of at most 4096 bytes without group/other bits; symlinks followed).
/// Throws OperationError naming the file.
SecretBytes ReadSecretFile(const std::string& path);

/// Creates `dir` and missing parents with mode 0700. Throws OperationError.
void MakePrivateDirectories(const std::string& dir);

/// True when `path` exists.
bool FileExists(const std::string& path);

}  // namespace xks::xksctl
