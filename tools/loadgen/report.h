#pragma once
// What xks-loadgen prints: the JSON result (docs/dev/loadgen.md describes every field), a short
// human summary, and the --progress line. Pure functions of the counts and the options.

#include <nlohmann/json.hpp>
#include <string>

#include "tools/loadgen/options.h"
#include "tools/loadgen/stats.h"

namespace xks::loadgen {

/// count, ok, errors, rps (successes per second of the window), latency_us {p50, p90, p99,
/// p99_9, max, min, mean} of the successful requests.
nlohmann::json OpJson(const OpStats& s, double seconds);

/// The whole result: config (the options, secret left out), duration_s, total, ops (the
/// operations of the mix), errors (errorName -> count), transport_errors (kind -> count) and, for
/// an open loop, open_loop {scheduled, max_queue}.
nlohmann::json ResultJson(const Stats& stats, const Options& options, double seconds);

/// A few lines for a terminal: per operation count, rps, p50/p99/p99.9/max in ms; errors.
std::string SummaryText(const Stats& stats, double seconds);

/// "  12s  1799 req/s  p99 2.41 ms  errors 0" (`rate` answers per second over the last interval;
/// p99 and errors of the window so far; "warm-up" before it starts).
std::string ProgressLine(double elapsed_s, double rate, const Stats& stats, bool warming_up);

}  // namespace xks::loadgen
