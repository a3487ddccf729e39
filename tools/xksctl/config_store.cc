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

// The entry of a key version in a configuration document (either key form), or null. `Json` is
// nlohmann::json or const nlohmann::json.
template <typename Json>
Json* FindVersionEntry(Json& doc, const KeyVersionRef& ref) {
  auto tenants = doc.find("tenants");
  if (tenants == doc.end() || !tenants->is_array()) return nullptr;
  for (Json& t : *tenants) {
    if (!t.is_object() || t.value("name", "") != ref.tenant) continue;
    auto keys = t.find("keys");
    if (keys == t.end() || !keys->is_object()) return nullptr;
    auto key = keys->find(ref.key_id);
    if (key == keys->end() || !key->is_object()) return nullptr;
    auto versions = key->find("versions");
    if (versions == key->end()) return ref.version == 1 ? &*key : nullptr;  // {"label": ...}
    if (!versions->is_array()) return nullptr;
    for (Json& v : *versions) {
      if (v.is_object() && v.value("version", 0) == ref.version) return &v;
    }
  }
  return nullptr;
}

std::string DirOf(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path).parent_path();
  return p.string();
}

}  // namespace

nlohmann::json ReadConfigDocument(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw OperationError("cannot read configuration " + path +
                         " — create it with `xksctl config init` or check --config/XKS_CONFIG");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw OperationError(path + " is not a JSON object — fix it (see `xksctl config validate`)");
  }
  return doc;
}

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

ConfigStore::ConfigStore(std::string path, const std::string& lock_path)
    : path_(std::move(path)), lock_(lock_path) {}

std::unique_ptr<ConfigStore> ConfigStore::Open(const std::string& path) {
  // Lock before reading so a concurrent writer's rename cannot slip between our read and write.
  auto store = std::unique_ptr<ConfigStore>(new ConfigStore(path, path));
  store->document_ = ReadConfigDocument(path);
  store->original_document_ = store->document_;
  auto parsed = config::ParseConfig(store->document_, store->BaseDir());
  if (!parsed.ok()) {
    throw OperationError(path + " does not validate; nothing was written — fix these first " +
                         "(`xksctl config validate`):\n" + FormatProblems(parsed.error()));
  }
  store->config_ = std::move(parsed).value();
  store->config_.source_path = path;
  return store;
}

std::unique_ptr<ConfigStore> ConfigStore::Create(const std::string& path, config::Config config) {
  auto store = std::unique_ptr<ConfigStore>(new ConfigStore(path, path));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    throw OperationError(path + " already exists — edit it with xksctl or remove it first");
  }
  store->config_ = std::move(config);
  store->config_.source_path = path;
  return store;
}

std::string ConfigStore::BaseDir() const { return DirOf(path_); }

void ConfigStore::AnnotateKeyVersion(const KeyVersionRef& ref, const std::string& name,
                                     nlohmann::json value) {
  annotations_.push_back({ref, name, std::move(value)});
}

nlohmann::json ConfigStore::KeyVersionAnnotations(const KeyVersionRef& ref) const {
  nlohmann::json out = nlohmann::json::object();
  if (const nlohmann::json* entry = FindVersionEntry(document_, ref)) {
    for (const auto& [key, value] : entry->items()) {
      if (!key.empty() && key[0] == '_') out[key] = value;
    }
  }
  for (const Annotation& a : annotations_) {
    if (a.ref.tenant == ref.tenant && a.ref.key_id == ref.key_id && a.ref.version == ref.version) {
      out[a.name] = a.value;
    }
  }
  return out;
}

void ConfigStore::Save() {
  nlohmann::json doc = config::SerializeKeepingHandWrittenForm(config_, document_, BaseDir());
  for (const Annotation& a : annotations_) {
    // The entry exists: the command that recorded the note added or changed the version.
    if (nlohmann::json* entry = FindVersionEntry(doc, a.ref)) (*entry)[a.name] = a.value;
  }
  // Parsed again as the proxy will read it: what is written is what runs.
  auto parsed = config::ParseConfig(doc, BaseDir());
  if (!parsed.ok()) {
    throw OperationError("the change would make the configuration invalid; nothing was written:\n" +
                         FormatProblems(parsed.error()));
  }
  WriteFileAtomic(path_, doc.dump(2) + "\n", 0640);
  document_ = std::move(doc);
  annotations_.clear();
}

config::TenantConfig& ConfigStore::Tenant(const std::string& name) {
  for (auto& t : config_.tenants) {
    if (t.name == name) return t;
  }
  throw OperationError("tenant " + name + " does not exist in " + path_ +
                       " (see `xksctl tenant list`)");
}

config::TokenConfig& ConfigStore::Token(const std::string& id) {
  for (auto& t : config_.hsm.tokens) {
    if (t.id == id) return t;
  }
  throw OperationError("hsm.tokens has no token with id " + id);
}

config::ModuleConfig& ConfigStore::Module(const std::string& id) {
  for (auto& m : config_.hsm.modules) {
    if (m.id == id) return m;
  }
  throw OperationError("hsm.modules has no module with id " + id);
}

void WriteFileAtomic(const std::string& path, const std::string& content, unsigned new_mode) {
  // An existing file keeps its mode (an operator may have tightened or loosened it on purpose)
  // and its owner and group: root editing a packaged install's configuration (root:xks-proxy
  // 0640) must not leave a file the proxy can no longer read at its next reload.
  mode_t mode = static_cast<mode_t>(new_mode);
  std::optional<FileOwner> owner;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & ~S_IFMT;  // permission bits only
    owner = FileOwner{st.st_uid, st.st_gid};
  }
  auto written = ::xks::WriteFileAtomic(path, content, mode, owner);
  // A failed directory sync comes after the rename: the new file is in place and only its
  // durability across a power cut is uncertain. xksctl has never failed a command for that.
  if (written.ok() || written.error().what == kSyncDirectoryStep) return;
  throw OperationError("cannot write " + path + ": " + written.error().Message() +
                       " (the old file is unchanged)");
}

}  // namespace xks::xksctl
