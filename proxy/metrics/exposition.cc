#include "proxy/metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace xks::metrics {
namespace {

bool IsNameChar(char c, bool first, bool colon_ok) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon_ok && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }
std::string EscapeHelp(std::string_view text) { return Escape(text, false); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integral values (counts) print without an exponent up to 2^53, where doubles stay exact.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    const auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<std::int64_t>(value));
    return std::string(buf, r.ptr);
  }
  // Bucket bounds and latencies read best without an exponent ("0.0005", not "5e-04").
  const double magnitude = std::fabs(value);
  const auto r = magnitude >= 1e-6 && magnitude < 1e15
                     ? std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, r.ptr);
}

bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }
bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }

void AppendSample(std::string& out, std::string_view name, std::span<const std::string> names,
                  std::span<const std::string> values, double value, std::string_view extra_name,
                  std::string_view extra_value) {
  out += name;
  if (!names.empty() || !extra_name.empty()) {
    out += '{';
    const char* sep = "";
    for (std::size_t i = 0; i < names.size(); ++i) {
      out += sep;
      out += names[i];
      out += "=\"";
      out += EscapeLabelValue(values[i]);
      out += '"';
      sep = ",";
    }
    if (!extra_name.empty()) {
      out += sep;
      out += extra_name;
      out += "=\"";
      out += EscapeLabelValue(extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace xks::metrics
