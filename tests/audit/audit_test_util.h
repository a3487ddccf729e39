#pragma once
// Shared helpers for the audit tests: temporary directories, keys, events, file access and a
// fault-injecting FileOps. Test-only.

#include <dirent.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/audit/audit_log.h"
#include "proxy/audit/checkpoint_signer.h"
#include "proxy/audit/file_ops.h"
#include "proxy/config/audit_config.h"

namespace xks::audit::testing {

/// A mkdtemp directory removed on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/xks-audit-test-XXXXXX";
    char* made = ::mkdtemp(tmpl);
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A clock that only moves when told to.
class FakeClock : public AuditClock {
 public:
  std::chrono::system_clock::time_point Now() override {
    return std::chrono::system_clock::time_point(std::chrono::microseconds(now_us_.load()));
  }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }

 private:
  std::atomic<std::int64_t> now_us_{1795000000000000};  // 2026-11-18T...
};

/// Fault injection: while a failure is armed, the operation returns -errno. `partial_write`
/// makes an armed Write first write half the bytes, as a filling disk does.
class FaultyFileOps : public PosixFileOps {
 public:
  std::atomic<int> write_errno{0};
  std::atomic<int> sync_errno{0};
  std::atomic<int> open_errno{0};
  std::atomic<bool> partial_write{false};

  int Open(const std::string& path, int flags, mode_t mode) override {
    if (int e = open_errno.load()) return -e;
    return PosixFileOps::Open(path, flags, mode);
  }
  ssize_t Write(int fd, const void* data, std::size_t size) override {
    if (int e = write_errno.load()) {
      if (partial_write.exchange(false) && size > 1) {
        return PosixFileOps::Write(fd, data, size / 2);
      }
      return -e;
    }
    return PosixFileOps::Write(fd, data, size);
  }
  int Fdatasync(int fd) override {
    if (int e = sync_errno.load()) return -e;
    return PosixFileOps::Fdatasync(fd);
  }
};

inline std::unique_ptr<FileCheckpointSigner> NewSigner(SignerKeyType type = SignerKeyType::kP256) {
  EvpPkeyPtr key(type == SignerKeyType::kEd25519
                     ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto s = FileCheckpointSigner::FromKey(std::move(key));
  if (!s.ok()) std::abort();
  return std::move(s).value();
}

inline VerificationKey KeyOf(const CheckpointSigner& signer) {
  auto k = ParseVerificationKey(signer.PublicKeyPem());
  if (!k.ok()) std::abort();
  return std::move(k).value();
}

/// Defaults that make checkpoints happen only on count, rotation, shutdown or request, so tests
/// do not depend on timing.
inline AuditConfig TestConfig(const std::string& dir) {
  AuditConfig c;
  c.directory = dir;
  c.instance_id = "test-instance";
  c.checkpoint_interval = std::chrono::hours(1);
  c.checkpoint_every = 1000000;
  c.rotate_bytes = 0;
  c.retry_interval = std::chrono::hours(1);
  c.signer_grace = std::chrono::milliseconds(0);
  return c;
}

inline AuditEvent SampleEvent(const std::string& tenant, int i) {
  AuditEvent e;
  e.operation = (i % 2 == 0) ? "Encrypt" : "Decrypt";
  e.tenant = tenant;
  e.external_key_id = "key-" + std::to_string(i % 3);
  e.key_label = "label-" + tenant;
  e.request_metadata = {{"awsPrincipalArn", "arn:aws:iam::111122223333:user/" + tenant},
                        {"kmsOperation", e.operation},
                        {"kmsRequestId", "req-" + tenant + "-" + std::to_string(i)}};
  e.access_key_id = "AKIA" + tenant;
  e.client_address = "10.0.0." + std::to_string(i % 250);
  e.http_method = "POST";
  e.http_path = "/" + tenant + "/kms/xks/v1/keys/key/encrypt";
  e.plaintext_length = 32;
  return e;
}

inline std::vector<std::string> LogFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("audit-", 0) == 0 && name.size() > 6 &&
        name.substr(name.size() - 6) == ".jsonl") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The files "<prefix>-*" in `dir`, sorted (e.g. the proxy's "audit" or xksctl's "xksctl" chain).
inline std::vector<std::string> FilesWithPrefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(prefix + "-")) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// A signer from a key file; several writers can then share one key, as the proxy and xksctl do.
inline std::unique_ptr<FileCheckpointSigner> LoadSigner(const std::string& path) {
  auto s = FileCheckpointSigner::Load(path);
  if (!s.ok()) std::abort();
  return std::move(s).value();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

inline void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string data;
  for (const auto& l : lines) data += l + "\n";
  WriteFile(path, data);
}

}  // namespace xks::audit::testing
