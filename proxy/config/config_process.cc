// `process`: who the proxy runs as (docs/configuration.md, "process"). The names are only checked
// for their shape here; they are looked up when the proxy drops its privileges
// (proxy/runtime/privileges.h), so a configuration stays checkable on a machine without them.

#include "proxy/config/config_sections.h"
#include "proxy/config/config_writer.h"

namespace xks::config::parsing {
namespace {

// The portable user/group name shape (useradd's default NAME_REGEX, without the trailing '$' of
// machine accounts), at most 32 characters.
bool IsValidAccountName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  auto lower_or_underscore = [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; };
  if (!lower_or_underscore(name[0])) return false;
  for (char ch : name) {
    if (!lower_or_underscore(ch) && !(ch >= '0' && ch <= '9') && ch != '-') return false;
  }
  return true;
}

std::optional<std::string> AccountName(const json& p, std::string_view key, Checker& c) {
  auto v = c.String(p, key, "process", false);
  if (!v) return std::nullopt;
  if (!IsValidAccountName(*v)) {
    c.Add(Join("process", key),
          "must be a user/group name: 1..32 of a-z 0-9 _ -, starting with a letter or _");
    return std::nullopt;
  }
  return v;
}

}  // namespace

void ParseProcess(const json& p, Config& cfg, Checker& c) {
  c.CheckKnown(p, "process", {"user", "group", "allow_root"});
  ProcessConfig& out = cfg.process;
  if (auto v = AccountName(p, "user", c)) out.user = *v;
  if (auto v = AccountName(p, "group", c)) out.group = *v;
  if (auto v = c.Bool(p, "allow_root", "process")) out.allow_root = *v;
  if (!out.group.empty() && out.user.empty() && !p.contains("user")) {
    c.Add("process.group", "needs process.user — give the user to run as too");
  }
}

json SerializeProcess(const ProcessConfig& p, const SerializeOptions& options) {
  writing::ObjectWriter out(options);
  // Unset names stay unset (an empty name does not parse).
  if (!p.user.empty()) out.Required("user", p.user);
  if (!p.group.empty()) out.Required("group", p.group);
  return out.Optional("allow_root", p.allow_root, false).Take();
}

}  // namespace xks::config::parsing
