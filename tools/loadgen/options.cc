#include "tools/loadgen/options.h"

#include <charconv>
#include <functional>
#include <map>

namespace xks::loadgen {
namespace {

using Setter = std::function<Result<void, std::string>(Options&, const std::string&)>;

struct OptionSpec {
  bool takes_value = true;
  Setter set;
};

template <typename T>
Result<T, std::string> Number(const std::string& name, const std::string& text, T low, T high) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return Fail("--" + name + " wants a number from " + std::to_string(low) + " to " +
                std::to_string(high) + ", not '" + text + "'");
  }
  return value;
}

template <typename T, typename Field>
OptionSpec NumberOption(const std::string& name, Field field, T low, T high) {
  return {true, [=](Options& o, const std::string& v) -> Result<void, std::string> {
            auto n = Number<T>(name, v, low, high);
            if (!n) return Fail(n.error());
            field(o) = *n;
            return {};
          }};
}

OptionSpec StringOption(std::string Options::*field) {
  return {true, [=](Options& o, const std::string& v) -> Result<void, std::string> {
            o.*field = v;
            return {};
          }};
}

OptionSpec DurationOption(const std::string& name, std::chrono::milliseconds Options::*field) {
  return {true, [=](Options& o, const std::string& v) -> Result<void, std::string> {
            auto d = ParseDuration(v);
            if (!d) return Fail("--" + name + ": " + d.error());
            o.*field = *d;
            return {};
          }};
}

OptionSpec FlagOption(bool Options::*field) {
  return {false, [=](Options& o, const std::string&) -> Result<void, std::string> {
            o.*field = true;
            return {};
          }};
}

const std::map<std::string, OptionSpec>& Specs() {
  static const std::map<std::string, OptionSpec> kSpecs = {
      {"url", StringOption(&Options::url)},
      {"key-id", StringOption(&Options::key_id)},
      {"access-key-id", StringOption(&Options::access_key_id)},
      {"secret-file", StringOption(&Options::secret_file)},
      {"region", StringOption(&Options::region)},
      {"ca-file", StringOption(&Options::ca_file)},
      {"insecure", FlagOption(&Options::insecure)},
      {"connections",
       NumberOption(
           "connections", [](Options& o) -> int& { return o.connections; }, 1, 10000)},
      {"rate",
       NumberOption(
           "rate", [](Options& o) -> std::optional<double>& { return o.rate; }, 0.001, 1e7)},
      {"duration", DurationOption("duration", &Options::duration)},
      {"warmup", DurationOption("warmup", &Options::warmup)},
      {"timeout", DurationOption("timeout", &Options::timeout)},
      {"mix",
       {true,
        [](Options& o, const std::string& v) -> Result<void, std::string> {
          auto mix = ParseMix(v);
          if (!mix) return Fail("--mix: " + mix.error());
          o.mix = *mix;
          return {};
        }}},
      {"plaintext-bytes",
       NumberOption(
           "plaintext-bytes", [](Options& o) -> std::size_t& { return o.plaintext_bytes; },
           std::size_t{1}, std::size_t{4096})},
      {"aad-bytes", NumberOption(
                        "aad-bytes", [](Options& o) -> std::size_t& { return o.aad_bytes; },
                        std::size_t{0}, std::size_t{8192})},
      {"json", StringOption(&Options::json_path)},
      {"progress", FlagOption(&Options::progress)},
      {"threads", NumberOption(
                      "threads", [](Options& o) -> int& { return o.threads; }, 1, 64)},
      {"help", FlagOption(&Options::help)},
      {"version", FlagOption(&Options::version)},
  };
  return kSpecs;
}

Result<void, std::string> CheckRequired(Options& o) {
  if (o.url.empty()) return Fail(std::string("--url is required"));
  if (o.key_id.empty()) return Fail(std::string("--key-id is required"));
  auto target = ParseTargetUrl(o.url);
  if (!target) return Fail("--url: " + target.error());
  o.target = *target;
  if (o.insecure && !o.ca_file.empty()) {
    return Fail(std::string("--insecure and --ca-file exclude each other"));
  }
  if (o.duration.count() <= 0) return Fail(std::string("--duration must be positive"));
  if (o.timeout.count() <= 0) return Fail(std::string("--timeout must be positive"));
  if (o.threads > o.connections) {
    return Fail(std::string("--threads may not exceed --connections (each thread owns its own)"));
  }
  return {};
}

}  // namespace

Result<Options, std::string> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  o.mix = *ParseMix("encrypt=70,decrypt=25,metadata=5");
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (!name.starts_with("--")) return Fail("unexpected argument '" + name + "'");
    name.erase(0, 2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const auto it = Specs().find(name);
    if (it == Specs().end()) return Fail("unknown option --" + name + " (see --help)");
    if (it->second.takes_value && !value) {
      if (i + 1 == args.size()) return Fail("--" + name + " needs a value");
      value = args[++i];
    } else if (!it->second.takes_value && value) {
      return Fail("--" + name + " takes no value");
    }
    auto set = it->second.set(o, value.value_or(""));
    if (!set) return Fail(set.error());
    if (o.help || o.version) return o;
  }
  auto checked = CheckRequired(o);
  if (!checked) return Fail(checked.error());
  return o;
}

}  // namespace xks::loadgen

namespace xks::loadgen {

std::string TargetUrl::HostHeader() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == "443" ? h : h + ":" + port;
}

Result<TargetUrl, std::string> ParseTargetUrl(const std::string& url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) {
    return Fail(std::string("must start with https:// (the XKS API is served over TLS only)"));
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  TargetUrl t;
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) t.prefix = std::string(rest.substr(slash));
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  std::string_view port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(std::string("unterminated IPv6 address"));
    t.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Fail(std::string("junk after the IPv6 address"));
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    t.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    t.host = std::string(authority);
  }
  if (t.host.empty()) return Fail(std::string("no host"));
  if (!port.empty()) {
    auto n = Number<int>("url", std::string(port), 1, 65535);
    if (!n) return Fail("bad port '" + std::string(port) + "'");
    t.port = std::string(port);
  }
  if (t.prefix.find_first_of("?# ") != std::string::npos) {
    return Fail(std::string("the path is the tenant's prefix only (no query or fragment)"));
  }
  return t;
}

Result<std::chrono::milliseconds, std::string> ParseDuration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
    ++digits;
  }
  const std::string unit = text.substr(digits);
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60000;
  } else if (unit == "h") {
    scale = 3600000;
  } else {
    return Fail("unknown unit '" + unit + "' (ms, s, m, h)");
  }
  double value = 0;
  const char* first = text.data();
  const auto [end, ec] = std::from_chars(first, first + digits, value);
  if (digits == 0 || ec != std::errc() || end != first + digits || value * scale > 8.64e9) {
    return Fail("'" + text + "' is not a duration such as 30s, 500ms, 5m or 1h");
  }
  return std::chrono::milliseconds(static_cast<long long>(value * scale));
}

}  // namespace xks::loadgen
