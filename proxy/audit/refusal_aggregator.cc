#include "proxy/audit/refusal_aggregator.h"

#include <pthread.h>

#include <utility>

namespace xks::audit {

std::string SourceAddress(std::string_view peer_address) {
  if (!peer_address.empty() && peer_address.front() == '[') {
    const std::size_t close = peer_address.find(']');
    if (close != std::string_view::npos) return std::string(peer_address.substr(1, close - 1));
    return std::string(peer_address);
  }
  const std::size_t colon = peer_address.rfind(':');
  // More than one colon without brackets is a bare IPv6 address: it has no port to strip.
  if (colon == std::string_view::npos || peer_address.find(':') != colon) {
    return std::string(peer_address);
  }
  return std::string(peer_address.substr(0, colon));
}

RefusalAggregator::RefusalAggregator(AuditSink& sink, RefusalAggregatorOptions options,
                                     RefusalWallClock clock)
    : sink_(sink), options_(options), clock_(std::move(clock)) {}

RefusalAggregator::~RefusalAggregator() { Stop(); }

void RefusalAggregator::Count(Tally& tally, std::chrono::system_clock::time_point now) {
  if (tally.count++ == 0) tally.first = now;
  tally.last = now;
}

void RefusalAggregator::Record(AuditEvent event) {
  if (options_.interval.count() > 0) {
    std::string source = SourceAddress(event.client_address);
    Key key{event.result, event.http_status, event.tenant};
    const auto now = clock_();
    std::lock_guard lock(mu_);
    if (!stopped_) {
      auto it = sources_.find(source);
      if (it == sources_.end() && sources_.size() >= options_.max_sources) {
        Count(other_sources_[std::move(key)], now);
        ++stats_.counted;
        ++stats_.overflowed;
        return;
      }
      if (it == sources_.end()) it = sources_.emplace(std::move(source), Tallies{}).first;
      auto [tally, first] = it->second.try_emplace(std::move(key));
      if (!first) {
        Count(tally->second, now);
        ++stats_.counted;
        return;
      }
    }
    ++stats_.recorded;
  } else {
    std::lock_guard lock(mu_);
    ++stats_.recorded;
  }
  // Outside the lock: serialising the record is the costliest step and needs no shared state.
  sink_.AppendNoWait(std::move(event));
}

void RefusalAggregator::QueueSummaries(const std::string& source, const Tallies& tallies) {
  for (const auto& [key, tally] : tallies) {
    if (tally.count == 0) continue;
    AuditEvent summary;
    summary.kind = AuditEvent::Kind::kRefusalSummary;
    summary.client_address = source;
    summary.result = std::get<0>(key);
    summary.http_status = std::get<1>(key);
    summary.tenant = std::get<2>(key);
    summary.refusal_count = tally.count;
    summary.first_refusal = tally.first;
    summary.last_refusal = tally.last;
    sink_.AppendNoWait(std::move(summary));
    std::lock_guard lock(mu_);
    ++stats_.summaries;
  }
}

void RefusalAggregator::EndInterval() {
  std::unordered_map<std::string, Tallies> sources;
  Tallies others;
  {
    std::lock_guard lock(mu_);
    sources.swap(sources_);
    others.swap(other_sources_);
  }
  for (const auto& [source, tallies] : sources) QueueSummaries(source, tallies);
  QueueSummaries("*", others);
}

void RefusalAggregator::Start() {
  if (options_.interval.count() <= 0 || timer_.joinable()) return;
  timer_ = std::thread([this] { TimerLoop(); });
  pthread_setname_np(timer_.native_handle(), "audit-refusals");
}

void RefusalAggregator::TimerLoop() {
  std::unique_lock lock(timer_mu_);
  while (!timer_stop_) {
    if (timer_cv_.wait_for(lock, options_.interval, [this] { return timer_stop_; })) break;
    lock.unlock();
    EndInterval();
    lock.lock();
  }
}

void RefusalAggregator::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock(timer_mu_);
      timer_stop_ = true;
    }
    timer_cv_.notify_all();
    if (timer_.joinable()) timer_.join();
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    EndInterval();
  });
}

RefusalAggregator::Stats RefusalAggregator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace xks::audit
