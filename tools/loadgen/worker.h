#pragma once
// One load-generating thread: its own io_context, its share of the connections, its own request
// templates, signer and Stats. Closed loop: every connection sends its next request as soon as
// the answer to the previous one arrives. Open loop: a timer walks the OpenLoopSchedule; a due
// request goes out on an idle connection or waits in a FIFO until one frees up, and its latency
// counts from its intended time either way. Only requests whose intended time falls inside the
// measured window [measure_from, measure_until) are counted; warm-up requests are sent, not
// counted.
//
// Thread safety: Run() on one thread; Published() from any thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "tools/loadgen/connection.h"
#include "tools/loadgen/request_template.h"
#include "tools/loadgen/schedule.h"
#include "tools/loadgen/stats.h"

namespace xks::loadgen {

struct WorkerPlan {
  int index = 0;
  int workers = 1;
  int connections = 1;         // this worker's share
  std::optional<double> rate;  // the total rate over all workers; closed loop when absent
  Clock::time_point start;     // load (warm-up first) begins
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  std::chrono::milliseconds timeout{10000};
  std::vector<Op> mix_cycle;
};

/// How to reach the proxy; shared read-only by all workers (the TLS context is thread-safe for
/// creating connections).
struct Target {
  boost::asio::ssl::context* tls = nullptr;
  Connection::Endpoints endpoints;
  std::string server_name;
  bool verify_host = true;
};

class Worker final : public ConnectionOwner {
 public:
  Worker(WorkerPlan plan, const Target& target, TemplateSet templates, RequestSigner signer);
  ~Worker();

  /// Connects, loads until measure_until, lets the requests of the window finish (at most
  /// `timeout` more) and returns. Call once.
  void Run();
  /// A copy of the counts, at most a second old (final once Run has returned). Thread-safe.
  Stats Published() const;

  void OnReady(Connection& c) override;
  void OnAnswer(Connection& c, int status, std::string_view body) override;
  void OnFailure(Connection& c, std::string_view kind, bool lost_request) override;

 private:
  bool Measured(Clock::time_point intended) const;
  void Next(Connection& c);
  void Dispatch(Connection& c, Clock::time_point intended);
  void OnTick();
  void OnWindowEnd();
  void MaybeFinish();
  void ForceFinish();
  void Publish();
  void SchedulePublish();

  WorkerPlan plan_;
  const Target& target_;
  TemplateSet templates_;
  std::array<std::size_t, kOpCount> next_template_{};
  std::size_t next_op_ = 0;
  RequestSigner signer_;
  std::uint64_t request_number_ = 0;
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Connection*> idle_;           // FIFO: every connection stays in use and warm
  std::deque<Clock::time_point> waiting_;  // open loop: due requests with no free connection
  std::optional<OpenLoopSchedule> schedule_;
  std::uint64_t next_k_ = 0;
  int busy_ = 0;
  bool window_over_ = false;
  bool finished_ = false;
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer window_end_;
  boost::asio::steady_timer drain_deadline_;
  boost::asio::steady_timer publish_;
  Stats stats_;
  mutable std::mutex published_mu_;
  Stats published_;
};

}  // namespace xks::loadgen
