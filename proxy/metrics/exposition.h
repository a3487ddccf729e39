#pragma once
// The Prometheus text exposition format, version 0.0.4: the escaping of HELP texts and label
// values, sample values, and one sample line. Pure functions; thread-safe.
// https://prometheus.io/docs/instrumenting/exposition_formats/

#include <span>
#include <string>
#include <string_view>

namespace xks::metrics {

/// The Content-Type of a scrape in this format.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A label value between its double quotes: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
std::string EscapeLabelValue(std::string_view value);

/// A HELP text: `\` -> `\\`, newline -> `\n`.
std::string EscapeHelp(std::string_view text);

/// A sample value: integers without a fraction, others in the shortest form that reads back
/// exactly, and "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

/// True for a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name (no ':').
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

/// Appends `name{n1="v1",...[,extra_name="extra_value"]} value\n`; the braces are left out when
/// there is no label. `names` and `values` have the same size.
void AppendSample(std::string& out, std::string_view name, std::span<const std::string> names,
                  std::span<const std::string> values, double value,
                  std::string_view extra_name = {}, std::string_view extra_value = {});

/// Appends the `# HELP` and `# TYPE` lines of one metric family.
void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type);

}  // namespace xks::metrics
