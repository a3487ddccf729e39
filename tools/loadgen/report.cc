#include "tools/loadgen/report.h"

#include <cstdio>

namespace xks::loadgen {
namespace {

nlohmann::json Counts(const std::map<std::string, std::uint64_t>& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, count] : m) out[name] = count;
  return out;
}

double Ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

nlohmann::json ConfigJson(const Options& o) {
  nlohmann::json mix = nlohmann::json::object();
  for (Op op : kAllOps) {
    if (o.mix.Weight(op) > 0) mix[std::string(OpName(op))] = o.mix.Weight(op);
  }
  return {{"url", o.url},
          {"key_id", o.key_id},
          {"access_key_id", o.access_key_id},
          {"region", o.region},
          {"mode", o.rate ? "open" : "closed"},
          {"rate", o.rate ? nlohmann::json(*o.rate) : nlohmann::json(nullptr)},
          {"connections", o.connections},
          {"threads", o.threads},
          {"duration_s", static_cast<double>(o.duration.count()) / 1000.0},
          {"warmup_s", static_cast<double>(o.warmup.count()) / 1000.0},
          {"timeout_s", static_cast<double>(o.timeout.count()) / 1000.0},
          {"mix", mix},
          {"plaintext_bytes", o.plaintext_bytes},
          {"aad_bytes", o.aad_bytes},
          {"tls_verify", !o.insecure}};
}

}  // namespace

nlohmann::json OpJson(const OpStats& s, double seconds) {
  const Histogram& h = s.latency_us;
  return {{"count", s.requests()},
          {"ok", s.ok},
          {"errors", s.failed},
          {"rps", seconds > 0 ? static_cast<double>(s.ok) / seconds : 0.0},
          {"latency_us",
           {{"p50", h.ValueAtPercentile(50)},
            {"p90", h.ValueAtPercentile(90)},
            {"p99", h.ValueAtPercentile(99)},
            {"p99_9", h.ValueAtPercentile(99.9)},
            {"max", h.max()},
            {"min", h.min()},
            {"mean", h.mean()}}}};
}

nlohmann::json ResultJson(const Stats& stats, const Options& options, double seconds) {
  nlohmann::json ops = nlohmann::json::object();
  for (Op op : kAllOps) {
    if (options.mix.Weight(op) > 0) ops[std::string(OpName(op))] = OpJson(stats.op(op), seconds);
  }
  nlohmann::json out = {
      {"config", ConfigJson(options)},           {"duration_s", seconds},
      {"total", OpJson(stats.Total(), seconds)}, {"ops", ops},
      {"errors", Counts(stats.errors)},          {"transport_errors", Counts(stats.transport)}};
  if (options.rate) {
    out["open_loop"] = {{"scheduled", static_cast<std::uint64_t>(*options.rate * seconds + 0.5)},
                        {"max_queue", stats.max_queue}};
  }
  return out;
}

std::string SummaryText(const Stats& stats, double seconds) {
  std::string out;
  char line[200];
  auto row = [&](std::string_view name, const OpStats& s) {
    const Histogram& h = s.latency_us;
    std::snprintf(line, sizeof(line),
                  "%-9s %9llu req %9.1f ok/s  p50 %7.2f  p99 %7.2f  p99.9 %7.2f  max %8.2f ms"
                  "  errors %llu\n",
                  std::string(name).c_str(), static_cast<unsigned long long>(s.requests()),
                  seconds > 0 ? static_cast<double>(s.ok) / seconds : 0.0,
                  Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(99)),
                  Ms(h.ValueAtPercentile(99.9)), Ms(h.max()),
                  static_cast<unsigned long long>(s.failed));
    out += line;
  };
  for (Op op : kAllOps) {
    if (stats.op(op).requests() > 0) row(OpName(op), stats.op(op));
  }
  row("total", stats.Total());
  for (const auto& [name, count] : stats.errors) {
    out += "  error " + name + ": " + std::to_string(count) + "\n";
  }
  for (const auto& [kind, count] : stats.transport) {
    out += "  transport " + kind + ": " + std::to_string(count) + "\n";
  }
  return out;
}

std::string ProgressLine(double elapsed_s, double rate, const Stats& stats, bool warming_up) {
  char line[160];
  if (warming_up) {
    std::snprintf(line, sizeof(line), "%5.0fs %8.0f req/s  warm-up", elapsed_s, rate);
  } else {
    std::snprintf(line, sizeof(line), "%5.0fs %8.0f req/s  p99 %7.2f ms  errors %llu", elapsed_s,
                  rate, Ms(stats.Total().latency_us.ValueAtPercentile(99)),
                  static_cast<unsigned long long>(stats.ErrorCount()));
  }
  return line;
}

}  // namespace xks::loadgen
