#include "tests/support/softhsm_sandbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "tests/support/temp_dir.h"

namespace xks::testing {
namespace {

std::string RandomHex(std::size_t n) {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kHex[rd() & 15];
  return out;
}

}  // namespace

std::string SoftHsmSandbox::ModulePath() { return XKS_SOFTHSM_MODULE; }

std::unique_ptr<SoftHsmSandbox> SoftHsmSandbox::Create(const std::vector<std::string>& labels,
                                                       std::string* error) {
  auto fail = [error](std::string why) -> std::unique_ptr<SoftHsmSandbox> {
    if (error != nullptr) *error = std::move(why);
    return nullptr;
  };
  std::unique_ptr<SoftHsmSandbox> sandbox(new SoftHsmSandbox());
  sandbox->dir_ = MakeTempTestDir("xks-softhsm");
  if (sandbox->dir_.empty()) return fail("mkdtemp failed");
  const std::string token_dir = sandbox->dir_ + "/tokens";
  if (mkdir(token_dir.c_str(), 0700) != 0) return fail("mkdir tokens failed");
  const std::string conf = sandbox->dir_ + "/softhsm2.conf";
  if (!WriteWholeFile(conf,
                      "directories.tokendir = " + token_dir +
                          "\nobjectstore.backend = file\nlog.level = ERROR\n"
                          "",
                      0600)) {
    return fail("cannot write softhsm2.conf");
  }
  if (const char* prev = std::getenv("SOFTHSM2_CONF")) {
    sandbox->had_previous_conf_ = true;
    sandbox->previous_conf_ = prev;
  }
  setenv("SOFTHSM2_CONF", conf.c_str(), 1);

  for (const std::string& label : labels) {
    // SoftHSM offers one new free slot per C_Initialize, so each token gets a fresh module load.
    auto module = pkcs11::OpenModule(sandbox->module_config());
    if (!module.ok()) return fail("OpenModule: " + module.error().ToLogString());
    Token token;
    token.label = label;
    token.user_pin = "user-" + RandomHex(12);
    token.so_pin = "so-" + RandomHex(12);
    auto serial =
        pkcs11::InitToken(**module, label, SecretBytes(token.so_pin), SecretBytes(token.user_pin));
    if (!serial.ok()) return fail("InitToken " + label + ": " + serial.error().ToLogString());
    token.serial = serial.value();
    token.user_pin_file = sandbox->WriteFile(label + ".pin", token.user_pin, 0600);
    if (token.user_pin_file.empty()) return fail("cannot write PIN file");
    sandbox->tokens_.emplace(label, std::move(token));
  }
  return sandbox;
}

SoftHsmSandbox::~SoftHsmSandbox() {
  if (had_previous_conf_) {
    setenv("SOFTHSM2_CONF", previous_conf_.c_str(), 1);
  } else {
    unsetenv("SOFTHSM2_CONF");
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

const SoftHsmSandbox::Token& SoftHsmSandbox::token(std::string_view label) const {
  auto it = tokens_.find(label);
  if (it == tokens_.end()) {
    std::fprintf(stderr, "SoftHsmSandbox: no token '%.*s'\n", static_cast<int>(label.size()),
                 label.data());
    std::abort();
  }
  return it->second;
}

pkcs11::ModuleConfig SoftHsmSandbox::module_config() const {
  pkcs11::ModuleConfig config;
  config.module = ModulePath();
  return config;
}

pkcs11::TokenConfig SoftHsmSandbox::token_config(std::string_view label,
                                                 std::size_t max_sessions) const {
  pkcs11::TokenConfig config;
  config.token = std::string(label);
  config.pin = pkcs11::PinSource::File(token(label).user_pin_file);
  config.max_sessions = max_sessions;
  return config;
}

std::string SoftHsmSandbox::WriteFile(std::string_view name, std::string_view content,
                                      unsigned mode) const {
  const std::string path = dir_ + "/" + std::string(name);
  return WriteWholeFile(path, content, mode) ? path : std::string();
}

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  if (hex.size() % 2 != 0) std::abort();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) std::abort();
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::vector<std::uint8_t> PatternBytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(gen());
  return out;
}

pkcs11::Deadline FarDeadline() {
  return std::chrono::steady_clock::now() + std::chrono::minutes(5);
}

}  // namespace xks::testing
