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

#include "tools/xksctl/cli.h"

namespace xks::xksctl {
namespace {

std::string Errno() { return std::strerror(errno); }

// Writes the whole buffer, retrying short writes and EINTR.
bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string DirOf(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path).parent_path();
  return p.string();
}

}  // namespace

ConfigLock::ConfigLock(const std::string& config_path) {
  const std::string lock_path = config_path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw OperationError("cannot create lock file " + lock_path + ": " + Errno());
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throw OperationError("cannot lock " + lock_path + ": " + Errno());
    }
  }
}

ConfigLock::~ConfigLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

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

bool IsEmptyListProblem(const tenant::ConfigProblem& problem) {
  return (problem.path == "tenants" || problem.path == "hsm.modules" ||
          problem.path == "hsm.tokens") &&
         problem.message.rfind("empty", 0) == 0;
}

tenant::ConfigProblems ValidateDocument(const nlohmann::json& doc, const std::string& base_dir) {
  auto parsed = tenant::ParseConfig(doc, base_dir);
  if (parsed.ok()) return {};
  tenant::ConfigProblems real;
  for (const auto& p : parsed.error()) {
    if (!IsEmptyListProblem(p)) real.push_back(p);
  }
  return real;
}

void ConfigStore::Save() {
  auto problems = ValidateDocument(doc_, BaseDir());
  if (!problems.empty()) {
    throw OperationError("the change would make the configuration invalid; nothing was written:\n" +
                         tenant::FormatProblems(problems));
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
  mode_t mode = static_cast<mode_t>(new_mode);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  const std::string dir = DirOf(path);
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw OperationError("cannot create a temporary file next to " + path + ": " + Errno());
  bool ok =
      ::fchmod(fd, mode) == 0 && WriteAll(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  std::string err = ok ? "" : Errno();
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = Errno();
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = Errno();
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    throw OperationError("cannot write " + path + ": " + err + " (the old file is unchanged)");
  }
  // The rename is durable only once the directory entry is on disk.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

}  // namespace xks::xksctl
