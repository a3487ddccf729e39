#include "tools/xksctl/arg_parser.h"

#include <algorithm>

namespace xks::xksctl {

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

std::string ParsedArgs::GetOr(const std::string& name, const std::string& fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

std::string ParsedArgs::Require(const std::string& name) const {
  auto v = Get(name);
  if (!v) throw UsageError("--" + name + " is required");
  return *v;
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                     std::size_t min_positional, std::size_t max_positional) {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      out.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) throw UsageError("unknown option --" + name + " (see --help)");
    if (spec->value_name.empty()) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      out.options_[name] = "";
      continue;
    }
    if (inline_value) {
      out.options_[name] = *inline_value;
    } else if (i + 1 < args.size()) {
      out.options_[name] = args[++i];
    } else {
      throw UsageError("--" + name + " needs a value " + spec->value_name);
    }
    out.all_values_[name].push_back(out.options_[name]);
  }
  // --help must work even when the positionals are incomplete.
  if (out.Has("help")) return out;
  if (out.positionals_.size() < min_positional) {
    throw UsageError("missing argument(s): expected at least " + std::to_string(min_positional) +
                     ", got " + std::to_string(out.positionals_.size()) + " (see --help)");
  }
  if (out.positionals_.size() > max_positional) {
    throw UsageError("unexpected argument '" + out.positionals_[max_positional] + "' (see --help)");
  }
  return out;
}

std::string FormatOptions(const std::vector<OptionSpec>& specs) {
  std::size_t width = 0;
  std::vector<std::string> heads;
  for (const auto& s : specs) {
    std::string head = "--" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    width = std::max(width, head.size());
    heads.push_back(std::move(head));
  }
  std::string out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out += "  " + heads[i] + std::string(width - heads[i].size() + 2, ' ') + specs[i].help + "\n";
  }
  return out;
}

}  // namespace xks::xksctl
