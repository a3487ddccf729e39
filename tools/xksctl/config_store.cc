#include "tools/xksctl/config_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file_io.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string DirOf(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path).parent_path();
  return p.string();
}

}  // namespace

ConfigLock::ConfigLock(const std::string& config_path) {
  const std::string lock_path = config_path + ".lock";
  auto fd = OpenFile(lock_path, O_RDWR | O_CREAT, 0600);
  if (!fd.ok()) {
    throw OperationError("cannot create lock file " + lock_path + ": " +
                         std::strerror(fd.error().sys_errno));
  }
  fd_ = std::move(fd).value();
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw OperationError("cannot lock " + lock_path + ": " + Errno());
  }
}

// Closing the descriptor (UniqueFd) releases the flock.
ConfigLock::~ConfigLock() = default;

ConfigStore::ConfigStore(std::string path, nlohmann::json doc, const std::string& lock_path)
    : path_(std::move(path)), doc_(std::move(doc)), lock_(lock_path) {}

std::unique_ptr<ConfigStore> ConfigStore::Open(const std::string& path) {
  // Lock before reading so a concurrent writer's rename cannot slip between our read and write.
  auto store = std::unique_ptr<ConfigStore>(new ConfigStore(path, nlohmann::json(), path));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw OperationError("cannot read configuration " + path +
                         " — create it with `xksctl config init` or check --config/XKS_CONFIG");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  store->doc_ = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (store->doc_.is_discarded() || !store->doc_.is_object()) {
    throw OperationError(path + " is not a JSON object — fix it (see `xksctl config validate`)");
  }
  return store;
}

std::unique_ptr<ConfigStore> ConfigStore::Create(const std::string& path, nlohmann::json document) {
  auto store = std::unique_ptr<ConfigStore>(new ConfigStore(path, std::move(document), path));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    throw OperationError(path + " already exists — edit it with xksctl or remove it first");
  }
  return store;
}

std::string ConfigStore::BaseDir() const { return DirOf(path_); }

bool IsEmptyListProblem(const Problem& problem) {
  return (problem.path == "tenants" || problem.path == "hsm.modules" ||
          problem.path == "hsm.tokens") &&
         problem.problem.rfind("empty", 0) == 0;
}

Problems ValidateDocument(const nlohmann::json& doc, const std::string& base_dir) {
  auto parsed = config::ParseConfig(doc, base_dir);
  if (parsed.ok()) return {};
  Problems real;
  for (const auto& p : parsed.error()) {
    if (!IsEmptyListProblem(p)) real.push_back(p);
  }
  return real;
}

void ConfigStore::Save() {
  auto problems = ValidateDocument(doc_, BaseDir());
  if (!problems.empty()) {
    throw OperationError("the change would make the configuration invalid; nothing was written:\n" +
                         FormatProblems(problems));
  }
  WriteFileAtomic(path_, doc_.dump(2) + "\n", 0640);
}

std::size_t ConfigStore::TenantIndex(const std::string& name) const {
  // find(), not the const operator[], which is undefined for a missing key.
  auto found = doc_.find("tenants");
  if (found != doc_.end() && found->is_array()) {
    const auto& tenants = *found;
    for (std::size_t i = 0; i < tenants.size(); ++i) {
      if (tenants[i].is_object() && tenants[i].value("name", "") == name) return i;
    }
  }
  throw OperationError("tenant " + name + " does not exist in " + path_ +
                       " (see `xksctl tenant list`)");
}

nlohmann::json& ConfigStore::Tenant(const std::string& name) {
  return doc_["tenants"][TenantIndex(name)];
}

nlohmann::json& ConfigStore::Token(const std::string& id) {
  auto& tokens = doc_["hsm"]["tokens"];
  if (tokens.is_array()) {
    for (auto& t : tokens) {
      if (t.is_object() && t.value("id", "") == id) return t;
    }
  }
  throw OperationError("hsm.tokens has no token with id " + id);
}

nlohmann::json& ConfigStore::Module(const std::string& id) {
  auto& modules = doc_["hsm"]["modules"];
  if (modules.is_array()) {
    for (auto& m : modules) {
      if (m.is_object() && m.value("id", "") == id) return m;
    }
  }
  throw OperationError("hsm.modules has no module with id " + id);
}

void WriteFileAtomic(const std::string& path, const std::string& content, unsigned new_mode) {
  // An existing file keeps its mode (an operator may have tightened or loosened it on purpose).
  mode_t mode = static_cast<mode_t>(new_mode);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & ~S_IFMT;  // permission bits only
  auto written = ::xks::WriteFileAtomic(path, content, mode);
  // A failed directory sync comes after the rename: the new file is in place and only its
  // durability across a power cut is uncertain. xksctl has never failed a command for that.
  if (written.ok() || written.error().what == kSyncDirectoryStep) return;
  throw OperationError("cannot write " + path + ": " + written.error().Message() +
                       " (the old file is unchanged)");
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

}  // namespace xks::xksctl
