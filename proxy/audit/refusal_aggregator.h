#pragma once
// Aggregated auditing of refusals of requests that never authenticated (unknown paths, wrong
// methods, failed SigV4, and the server's own pre-handler refusals on unauthenticated
// connections). Every such refusal is still audited, but a flood of them must neither fill the
// disk nor hold workers: per source address (the IP, not the port) and per interval, the first
// refusal of each (result, HTTP status, tenant) is recorded as usual and the rest are counted;
// when the interval ends one `refusal-summary` record per counted key carries the count and the
// times of the first and last counted refusal (docs/audit-format.md). Records are queued with
// AuditSink::AppendNoWait, never waited for.
//
// Memory is bounded: at most `max_sources` addresses are tracked per interval; refusals from
// further addresses are only counted, in summaries whose clientAddress is "*".
//
// Thread safety: every member is thread-safe. Record is cheap (one short mutex, a few map
// operations, no I/O) and may run on I/O threads.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "proxy/audit/audit_event.h"
#include "proxy/audit/audit_sink.h"

namespace xks::audit {

struct RefusalAggregatorOptions {
  /// Length of one counting interval. 0: every refusal is recorded individually.
  std::chrono::milliseconds interval{10000};
  /// Source addresses tracked per interval; refusals from any further address are folded into
  /// the "*" summaries.
  std::size_t max_sources = 1024;
};

/// The wall clock for the summaries' first/last times (injected by tests).
using RefusalWallClock = std::function<std::chrono::system_clock::time_point()>;

/// The address part of a peer address as ConnectionInfo::peer_address writes it ("ip:port" or
/// "[v6]:port"): "ip" or "v6" (without brackets). Text without a port is returned unchanged.
std::string SourceAddress(std::string_view peer_address);

class RefusalAggregator {
 public:
  /// `sink` must outlive the aggregator.
  RefusalAggregator(
      AuditSink& sink, RefusalAggregatorOptions options,
      RefusalWallClock clock = [] { return std::chrono::system_clock::now(); });
  /// Stop()s.
  ~RefusalAggregator();
  RefusalAggregator(const RefusalAggregator&) = delete;
  RefusalAggregator& operator=(const RefusalAggregator&) = delete;

  /// Audits one refusal (a kRequest event whose client_address may carry a port): queued at once
  /// when it is the first of its key in this interval (or aggregation is off, or the aggregator
  /// was stopped), otherwise counted. Never blocks on the disk.
  void Record(AuditEvent event);

  /// Ends the current interval: queues one refusal-summary per key that counted refusals and
  /// forgets every key, so the next refusal of each is recorded individually again. The timer
  /// calls it every `interval`; tests call it directly.
  void EndInterval();

  /// Starts the timer thread (not when the interval is 0). Call at most once.
  void Start();
  /// Stops the timer and ends the interval, so no count is lost; later refusals are recorded
  /// individually. Idempotent.
  void Stop();

  struct Stats {
    std::uint64_t recorded = 0;    ///< refusals queued as individual records
    std::uint64_t counted = 0;     ///< refusals counted instead (tracked sources and "*")
    std::uint64_t overflowed = 0;  ///< of those, counted under "*" (beyond max_sources)
    std::uint64_t summaries = 0;   ///< refusal-summary records queued
  };
  Stats stats() const;

 private:
  using Key = std::tuple<std::string, int, std::string>;  // result, HTTP status, tenant
  struct Tally {
    std::uint64_t count = 0;
    std::chrono::system_clock::time_point first{};
    std::chrono::system_clock::time_point last{};
  };
  using Tallies = std::map<Key, Tally>;

  static void Count(Tally& tally, std::chrono::system_clock::time_point now);
  void QueueSummaries(const std::string& source, const Tallies& tallies);
  void TimerLoop();

  AuditSink& sink_;
  const RefusalAggregatorOptions options_;
  const RefusalWallClock clock_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Tallies> sources_;
  Tallies other_sources_;
  bool stopped_ = false;
  Stats stats_;

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool timer_stop_ = false;
  std::thread timer_;
  std::once_flag stop_once_;
};

}  // namespace xks::audit
