// SerializeKeepingHandWrittenForm: a configuration file rewritten from its typed form (xksctl)
// keeps what the operator wrote that the structures have no place for: "_..." comment keys,
// defaults spelt out, relative paths (ParseConfig resolves them against the file's directory, so
// the typed form holds them absolute), and the short form of a one-version key.

#include <set>
#include <string>

#include "proxy/config/config.h"

namespace xks::config {
namespace {

using nlohmann::json;

bool IsCommentKey(const std::string& key) { return !key.empty() && key[0] == '_'; }

// The schema's fields that ParseConfig resolves against the configuration directory.
bool IsResolvedPathKey(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "module",           "file",           "certificate_chain_file",
      "private_key_file", "client_ca_file", "directory",
      "key_file",         "admin_socket"};
  return kKeys.contains(key);
}

// True when `old` is a relative path naming `now` under ParseConfig's resolution
// (base_dir + "/" + old).
bool SameFileRelative(const json& old, const json& now, std::string_view base_dir) {
  if (!old.is_string() || !now.is_string() || base_dir.empty()) return false;
  const std::string& relative = old.get_ref<const std::string&>();
  if (relative.empty() || relative[0] == '/') return false;
  return now.get_ref<const std::string&>() == std::string(base_dir) + "/" + relative;
}

// A key written in the short form {"label": L} (one version, number 1) stays short while the
// rewrite still says exactly that.
void KeepShortKeyForm(const json& from, json& to) {
  if (!from.contains("label") || from.contains("versions")) return;
  auto versions = to.find("versions");
  if (versions == to.end() || !versions->is_array() || versions->size() != 1) return;
  const json& only = (*versions)[0];
  if (only.value("version", 0) != 1 || only.value("retired", false) ||
      only.value("label", json()) != from["label"]) {
    return;
  }
  to.erase("versions");
  to["label"] = from["label"];
}

// A tenant written with "tokens": [one id] keeps that form (the serializer writes one member as
// "token"), so an operator's fleet of one stays a list to add members to.
void KeepTokenListForm(const json& from, json& to) {
  auto token = to.find("token");
  if (!from.contains("tokens") || from.contains("token") || token == to.end()) return;
  json members = json::array({*token});
  to.erase(token);
  to["tokens"] = std::move(members);
}

// Array elements of the schema are objects named by one of these fields (always written); an
// element of the old document and one of the new are the same entry when they agree on the
// first one the new one has.
const json* SameEntry(const json& old_array, const json& entry) {
  static constexpr const char* kIdentities[] = {"id", "name", "access_key_id", "version"};
  for (const char* identity : kIdentities) {
    if (!entry.contains(identity)) continue;
    for (const json& candidate : old_array) {
      if (candidate.is_object() && candidate.contains(identity) &&
          candidate[identity] == entry[identity]) {
        return &candidate;
      }
    }
    return nullptr;
  }
  return nullptr;
}

// `to` is the short form and `full` the same place written with every field; both come from one
// Config, so their arrays line up entry by entry.
void Carry(const json& from, const json& full, json& to, std::string_view base_dir);

void CarryObject(const json& from, const json& full, json& to, std::string_view base_dir) {
  KeepShortKeyForm(from, to);
  KeepTokenListForm(from, to);
  for (const auto& [key, value] : from.items()) {
    if (IsCommentKey(key)) {
      to[key] = value;
      continue;
    }
    auto in_full = full.find(key);
    if (in_full == full.end()) continue;  // gone from the configuration (or the short key form)
    auto in_to = to.find(key);
    if (in_to == to.end()) {
      // Left out as a default. The operator spelt it out: keep it while it still says the same.
      if (value.is_object() && in_full->is_object()) {
        json section = json::object();
        Carry(value, *in_full, section, base_dir);
        if (!section.empty()) to[key] = std::move(section);
      } else if (value == *in_full) {
        to[key] = value;
      }
    } else if (IsResolvedPathKey(key) && SameFileRelative(value, *in_to, base_dir)) {
      *in_to = value;
    } else {
      Carry(value, *in_full, *in_to, base_dir);
    }
  }
}

void Carry(const json& from, const json& full, json& to, std::string_view base_dir) {
  if (from.is_object() && full.is_object() && to.is_object()) {
    CarryObject(from, full, to, base_dir);
  } else if (from.is_array() && full.is_array() && to.is_array() && full.size() == to.size()) {
    for (std::size_t i = 0; i < to.size(); ++i) {
      if (!to[i].is_object()) continue;
      if (const json* old = SameEntry(from, full[i])) Carry(*old, full[i], to[i], base_dir);
    }
  }
}

}  // namespace

nlohmann::json SerializeKeepingHandWrittenForm(const Config& config, const nlohmann::json& original,
                                               std::string_view base_dir) {
  json out = SerializeConfig(config, {.omit_defaults = true});
  Carry(original, SerializeConfig(config), out, base_dir);
  return out;
}

}  // namespace xks::config
