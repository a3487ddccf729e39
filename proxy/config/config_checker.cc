#include "proxy/config/config_checker.h"

namespace xks::config::parsing {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}
std::string Index(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return std::string(base_dir) + "/" + path;
}

std::optional<std::chrono::milliseconds> Millis(Checker& c, const json& obj, std::string_view key,
                                                std::string_view path, std::uint64_t min,
                                                std::uint64_t max) {
  auto v = c.Uint(obj, key, path, min, max);
  if (!v) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*v));
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.'; });
}

}  // namespace xks::config::parsing
