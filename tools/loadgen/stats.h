#pragma once
// What a run counts: per operation a latency histogram of the successful requests (microseconds)
// and the success and failure counts; the failures by XKS errorName (from the JSON error body) and
// the transport failures by kind. Each worker fills its own Stats; they are merged for reports.
//
// Thread safety: none (a value type; workers publish copies under their own lock).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tools/loadgen/histogram.h"
#include "tools/loadgen/mix.h"

namespace xks::loadgen {

struct OpStats {
  Histogram latency_us;  // successful requests only
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;  // an error answer or a transport failure

  std::uint64_t requests() const { return ok + failed; }
};

struct Stats {
  std::array<OpStats, kOpCount> ops;
  std::map<std::string, std::uint64_t> errors;     // errorName (or "HTTP <status>") -> count
  std::map<std::string, std::uint64_t> transport;  // kind ("connect", "timeout", ...) -> count
  std::uint64_t answered = 0;   // every answer, warm-up included (for the progress rate)
  std::uint64_t max_queue = 0;  // open loop: most requests waiting for a connection at once

  OpStats& op(Op o) { return ops[static_cast<std::size_t>(o)]; }
  const OpStats& op(Op o) const { return ops[static_cast<std::size_t>(o)]; }

  void RecordSuccess(Op o, std::uint64_t latency_us);
  void RecordError(Op o, const std::string& error_name);
  /// A failed request (when `o` is given) or a connection event (connect, TLS) without one.
  void RecordTransport(const Op* o, std::string_view kind);

  /// Totals over the operations (latency histograms merged).
  OpStats Total() const;
  std::uint64_t ErrorCount() const;
  void Merge(const Stats& other);
};

/// The errorName of an error answer: the "errorName" string of a JSON object body, or
/// "HTTP <status>" when the body has none (a proxy in front answering HTML, say).
std::string ErrorNameOf(int status, std::string_view body);

}  // namespace xks::loadgen
