#include "tools/loadgen/stats.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace xks::loadgen {

void Stats::RecordSuccess(Op o, std::uint64_t latency_us) {
  OpStats& s = op(o);
  ++s.ok;
  s.latency_us.Record(latency_us);
}

void Stats::RecordError(Op o, const std::string& error_name) {
  ++op(o).failed;
  ++errors[error_name];
}

void Stats::RecordTransport(const Op* o, std::string_view kind) {
  if (o != nullptr) ++op(*o).failed;
  ++transport[std::string(kind)];
}

OpStats Stats::Total() const {
  OpStats total;
  for (const OpStats& s : ops) {
    total.latency_us.Merge(s.latency_us);
    total.ok += s.ok;
    total.failed += s.failed;
  }
  return total;
}

std::uint64_t Stats::ErrorCount() const {
  std::uint64_t n = 0;
  for (const auto& [name, count] : errors) n += count;
  for (const auto& [kind, count] : transport) n += count;
  return n;
}

void Stats::Merge(const Stats& other) {
  for (std::size_t i = 0; i < kOpCount; ++i) {
    ops[i].latency_us.Merge(other.ops[i].latency_us);
    ops[i].ok += other.ops[i].ok;
    ops[i].failed += other.ops[i].failed;
  }
  for (const auto& [name, count] : other.errors) errors[name] += count;
  for (const auto& [kind, count] : other.transport) transport[kind] += count;
  answered += other.answered;
  max_queue = std::max(max_queue, other.max_queue);
}

std::string ErrorNameOf(int status, std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    const auto it = json.find("errorName");
    if (it != json.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      return it->get<std::string>();
    }
  }
  return "HTTP " + std::to_string(status);
}

}  // namespace xks::loadgen
