#pragma once
// Writing one JSON object of the configuration under SerializeOptions: required fields always,
// optional ones only when they differ from their default (omit_defaults). Internal to
// proxy/config.

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "proxy/config/serialize_options.h"

namespace xks::config::writing {

class ObjectWriter {
 public:
  explicit ObjectWriter(const SerializeOptions& options) : options_(options) {}

  template <typename T>
  ObjectWriter& Required(const char* key, const T& value) {
    out_[key] = value;
    return *this;
  }
  /// Written unless omitting defaults and `value` equals `fallback`.
  template <typename T>
  ObjectWriter& Optional(const char* key, const T& value, const T& fallback) {
    if (!options_.omit_defaults || !(value == fallback)) out_[key] = value;
    return *this;
  }
  /// Written when set (a field whose absence means something else than any value).
  template <typename T>
  ObjectWriter& IfSet(const char* key, const std::optional<T>& value) {
    if (value) out_[key] = *value;
    return *this;
  }
  ObjectWriter& Json(const char* key, nlohmann::json value) {
    out_[key] = std::move(value);
    return *this;
  }
  nlohmann::json Take() { return std::move(out_); }

 private:
  const SerializeOptions& options_;
  nlohmann::json out_ = nlohmann::json::object();
};

}  // namespace xks::config::writing
