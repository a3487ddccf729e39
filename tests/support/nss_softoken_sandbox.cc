#include "tests/support/nss_softoken_sandbox.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <vector>

#include "tests/support/temp_dir.h"

namespace xks::testing {
namespace {

std::string RandomPin() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "nss-";
  for (int i = 0; i < 24; ++i) out += kHex[rd() & 15];
  return out;
}

// Runs `args` (args[0] is an absolute path) with stdout/stderr to `log`; returns its exit code.
int RunQuietly(std::vector<std::string> args, const std::string& log) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (FILE* f = std::freopen(log.c_str(), "w", stdout)) dup2(fileno(f), STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string NssSoftokenSandbox::ModulePath() { return XKS_NSS_SOFTOKN_MODULE; }

std::unique_ptr<NssSoftokenSandbox> NssSoftokenSandbox::Create(std::string* error) {
  auto fail = [error](std::string why) -> std::unique_ptr<NssSoftokenSandbox> {
    if (error != nullptr) *error = std::move(why);
    return nullptr;
  };
  if (ModulePath().empty()) return fail("libsoftokn3.so not found (install libnss3)");
  std::unique_ptr<NssSoftokenSandbox> sandbox(new NssSoftokenSandbox());
  sandbox->dir_ = MakeTempTestDir("xks-nss");
  if (sandbox->dir_.empty()) return fail("mkdtemp failed");
  const std::string db = sandbox->dir_ + "/nssdb";
  if (mkdir(db.c_str(), 0700) != 0) return fail("mkdir nssdb failed");
  sandbox->user_pin_file_ = sandbox->dir_ + "/nss.pin";
  if (!WriteWholeFile(sandbox->user_pin_file_, RandomPin(), 0600)) {
    return fail("cannot write the PIN file");
  }
  const std::string log = sandbox->dir_ + "/certutil.log";
  const int rc =
      RunQuietly({XKS_NSS_CERTUTIL, "-N", "-d", "sql:" + db, "-f", sandbox->user_pin_file_}, log);
  if (rc != 0) {
    return fail("certutil -N failed with exit code " + std::to_string(rc) + " (see " + log + ")");
  }
  sandbox->initialize_parameters_ =
      "configdir='sql:" + db + "' certPrefix='' keyPrefix='' secmod='secmod.db' flags=";
  return sandbox;
}

NssSoftokenSandbox::~NssSoftokenSandbox() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

pkcs11::ModuleConfig NssSoftokenSandbox::module_config() const {
  pkcs11::ModuleConfig config;
  config.module = ModulePath();
  config.initialize_parameters = initialize_parameters_;
  return config;
}

pkcs11::TokenConfig NssSoftokenSandbox::token_config(std::size_t max_sessions) const {
  pkcs11::TokenConfig config;
  config.token = std::string(kTokenUri);
  config.pin = pkcs11::PinSource::File(user_pin_file_);
  config.max_sessions = max_sessions;
  return config;
}

}  // namespace xks::testing
