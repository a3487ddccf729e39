#pragma once
// Configuration fixtures for tests (tests only; linked as xks_config_testing): a temporary
// directory that writes secret files with mode 0600 and the standard two-tenant configuration.
// Used by the config and tenant tests and, through proxy/api/testing/fakes.h, by the API tests.
// Not thread-safe (TempDir is owned by one test).

#include <nlohmann/json.hpp>
#include <string>

namespace xks::config::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  /// Writes `content` to path()/name with `mode`; returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content, int mode = 0600);

 private:
  std::string path_;
};

/// Credentials used by the standard test configuration.
inline constexpr const char* kAcmeAccessKey = "AKIAACMEACMEACMEACME";     // 20 chars A-Z2-7
inline constexpr const char* kAcmeAccessKey2 = "AKIAACMEROTATEDKEY2345";  // second credential
inline constexpr const char* kGlobexAccessKey = "AKIAGLOBEXGLOBEXGLOB";
inline constexpr const char* kAcmeSecret = "c2VjcmV0LWFjbWUtMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG0=";
inline constexpr const char* kGlobexSecret = "c2VjcmV0LWdsb2JleC0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=";

/// A valid configuration document with two tenants: "acme" (prefix /acme, token tok-acme, keys
/// k1 -> acme-k1, k2 -> acme-k2 (versions 1 retired, 2), shared -> acme-shared, off (disabled))
/// and "globex" (prefix "", token tok-globex, keys k1 -> globex-k1, shared -> globex-shared).
/// Secret files are written into `dir`.
nlohmann::json StandardConfigJson(TempDir& dir);

/// Issue 15's tenants[].policy: deny-s3-decrypt (deny decrypt when kmsViaService is s3) and
/// acct-ebs (allow k1 and prod-* for KMS keys of account 111122223333), mode enforce.
nlohmann::json IssuePolicyJson();

}  // namespace xks::config::testing
