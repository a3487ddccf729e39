#pragma once
// Shared machinery of the configuration parser (config.cc and the config_*.cc section parsers):
// the problem collector, JSON path helpers and the character rules several sections use.
// Internal to proxy/tenant; callers use config.h.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/config.h"

namespace xks::config::parsing {

using nlohmann::json;

constexpr std::size_t kMaxPathPrefixTotal = 128;  // spec: XksProxyUriPath <= 128 characters

bool IsAlnum(char c);
/// 1..64 of A-Z a-z 0-9 . - _ (module, token and tenant ids).
bool IsValidId(std::string_view id);

/// "path.key" (just "key" at the top level).
std::string Join(std::string_view path, std::string_view key);
/// "path[i]".
std::string Index(std::string_view path, std::size_t i);
/// A relative path is taken relative to the configuration file's directory.
std::string Resolve(std::string_view base_dir, const std::string& path);

// Collects problems; every accessor reports instead of throwing so one pass finds everything.
class Checker {
 public:
  /// `message` reads "problem — fix" (see ProblemFromText).
  void Add(std::string path, std::string_view message) {
    problems_.push_back(ProblemFromText(std::move(path), message));
  }
  void Append(Problems problems) {
    for (auto& p : problems) problems_.push_back(std::move(p));
  }
  Problems Take() { return std::move(problems_); }
  bool empty() const { return problems_.empty(); }

  // Keys beginning with '_' are comments and ignored; anything else unknown is most likely a
  // typo that would silently fall back to a default, so it is a problem.
  void CheckKnown(const json& obj, std::string_view path,
                  std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : obj.items()) {
      if (!key.empty() && key[0] == '_') continue;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        Add(Join(path, key), "unknown field — remove it or use one of: " + allowed);
      }
    }
  }

  const json* Object(const json& parent, std::string_view key, std::string_view path,
                     bool required) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — add this object");
      return nullptr;
    }
    if (!it->is_object()) {
      Add(Join(path, key), "must be a JSON object");
      return nullptr;
    }
    return &*it;
  }

  const json* Array(const json& parent, std::string_view key, std::string_view path,
                    bool required) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — add this array");
      return nullptr;
    }
    if (!it->is_array()) {
      Add(Join(path, key), "must be a JSON array");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> String(const json& parent, std::string_view key, std::string_view path,
                                    bool required, std::string_view hint = "") {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) {
        Add(Join(path, key),
            std::string("missing") + (hint.empty() ? "" : " — ") + std::string(hint));
      }
      return std::nullopt;
    }
    if (!it->is_string()) {
      Add(Join(path, key), "must be a string");
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<bool> Bool(const json& parent, std::string_view key, std::string_view path) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) return std::nullopt;
    if (!it->is_boolean()) {
      Add(Join(path, key), "must be true or false");
      return std::nullopt;
    }
    return it->get<bool>();
  }

  std::optional<std::uint64_t> Uint(const json& parent, std::string_view key, std::string_view path,
                                    std::uint64_t min, std::uint64_t max, bool required = false) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      if (required) Add(Join(path, key), "missing — give an integer");
      return std::nullopt;
    }
    const bool negative =
        it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0;
    if (!it->is_number_integer() || negative) {
      Add(Join(path, key),
          "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    const std::uint64_t v = it->is_number_unsigned()
                                ? it->get<std::uint64_t>()
                                : static_cast<std::uint64_t>(it->get<std::int64_t>());
    if (v < min || v > max) {
      Add(Join(path, key), "must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + " (got " + std::to_string(v) + ")");
      return std::nullopt;
    }
    return v;
  }

 private:
  Problems problems_;
};

std::optional<std::chrono::milliseconds> Millis(Checker& c, const json& obj, std::string_view key,
                                                std::string_view path, std::uint64_t min,
                                                std::uint64_t max);

}  // namespace xks::config::parsing
