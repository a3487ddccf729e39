#include "tools/loadgen/worker.h"

#include <algorithm>

namespace xks::loadgen {
namespace {

constexpr std::chrono::seconds kPublishEvery{1};

std::uint64_t Microseconds(Clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

}  // namespace

Worker::Worker(WorkerPlan plan, const Target& target, TemplateSet templates, RequestSigner signer)
    : plan_(std::move(plan)),
      target_(target),
      templates_(std::move(templates)),
      signer_(std::move(signer)),
      tick_(io_),
      window_end_(io_),
      drain_deadline_(io_),
      publish_(io_) {
  for (int i = 0; i < plan_.connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(io_, *target_.tls, target_.endpoints,
                                                        target_.server_name, target_.verify_host,
                                                        plan_.timeout, *this));
  }
  if (plan_.rate) schedule_.emplace(plan_.start, *plan_.rate, plan_.workers, plan_.index);
}

Worker::~Worker() = default;

void Worker::Run() {
  for (auto& c : connections_) c->Open();
  if (schedule_) {
    tick_.expires_at(schedule_->IntendedTime(0));
    tick_.async_wait([this](boost::system::error_code ec) {
      if (!ec) OnTick();
    });
  }
  window_end_.expires_at(plan_.measure_until);
  window_end_.async_wait([this](boost::system::error_code ec) {
    if (!ec) OnWindowEnd();
  });
  SchedulePublish();
  io_.run();
  Publish();
}

Stats Worker::Published() const {
  std::lock_guard lock(published_mu_);
  return published_;
}

bool Worker::Measured(Clock::time_point intended) const {
  return intended >= plan_.measure_from && intended < plan_.measure_until;
}

void Worker::OnReady(Connection& c) { Next(c); }

void Worker::OnAnswer(Connection& c, int status, std::string_view body) {
  --busy_;
  ++stats_.answered;
  const InFlight& f = c.in_flight;
  if (Measured(f.intended)) {
    if (status == 200) {
      stats_.RecordSuccess(f.op, Microseconds(Clock::now() - f.intended));
    } else {
      stats_.RecordError(f.op, ErrorNameOf(status, body));
    }
  }
  if (c.ready()) Next(c);
}

void Worker::OnFailure(Connection& c, std::string_view kind, bool lost_request) {
  if (lost_request) {
    --busy_;
    if (Measured(c.in_flight.intended)) stats_.RecordTransport(&c.in_flight.op, kind);
  } else if (Measured(Clock::now())) {
    stats_.RecordTransport(nullptr, kind);
  }
  MaybeFinish();
}

// A connection is free: give it the oldest waiting request (open loop), a new one (closed loop,
// within the window), or park it.
void Worker::Next(Connection& c) {
  if (finished_) return;
  if (schedule_) {
    if (!waiting_.empty()) {
      const Clock::time_point intended = waiting_.front();
      waiting_.pop_front();
      return Dispatch(c, intended);
    }
  } else if (!window_over_) {
    return Dispatch(c, Clock::now());
  }
  idle_.push_back(&c);
  MaybeFinish();
}

void Worker::Dispatch(Connection& c, Clock::time_point intended) {
  const Op op = plan_.mix_cycle[next_op_++ % plan_.mix_cycle.size()];
  auto& candidates = templates_[static_cast<std::size_t>(op)];
  RequestTemplate& t =
      candidates[next_template_[static_cast<std::size_t>(op)]++ % candidates.size()];
  c.in_flight = InFlight{op, intended};
  signer_.Build(t, ++request_number_, std::chrono::system_clock::now(), c.out());
  ++busy_;
  c.Send();
}

// Sends every request that is due, then sleeps until the next one is.
void Worker::OnTick() {
  const std::uint64_t due = schedule_->DueCount(Clock::now());
  for (; next_k_ < due; ++next_k_) {
    const Clock::time_point intended = schedule_->IntendedTime(next_k_);
    if (intended >= plan_.measure_until) return;
    if (idle_.empty()) {
      waiting_.push_back(intended);
      stats_.max_queue = std::max<std::uint64_t>(stats_.max_queue, waiting_.size());
    } else {
      Connection* c = idle_.front();
      idle_.pop_front();
      Dispatch(*c, intended);
    }
  }
  tick_.expires_at(schedule_->IntendedTime(next_k_));
  tick_.async_wait([this](boost::system::error_code ec) {
    if (!ec) OnTick();
  });
}

void Worker::OnWindowEnd() {
  window_over_ = true;
  tick_.cancel();
  // Requests still waiting or in flight belong to the window; they get the request timeout (from
  // now, as the last ones may not have been sent yet) to finish.
  drain_deadline_.expires_after(plan_.timeout);
  drain_deadline_.async_wait([this](boost::system::error_code ec) {
    if (!ec) ForceFinish();
  });
  MaybeFinish();
}

void Worker::MaybeFinish() {
  if (!window_over_ || finished_ || busy_ > 0 || !waiting_.empty()) return;
  finished_ = true;
  for (auto& c : connections_) c->Close();
  drain_deadline_.cancel();
  publish_.cancel();
}

// The drain time is over: what is still in flight timed out, what still waits was never sent.
void Worker::ForceFinish() {
  for (auto& c : connections_) {
    if (c->busy() && Measured(c->in_flight.intended)) {
      stats_.RecordTransport(&c->in_flight.op, "timeout");
    }
  }
  for (std::size_t i = 0; i < waiting_.size(); ++i) {
    // The op they would have had is not drawn yet; count them against the next in the cycle.
    const Op op = plan_.mix_cycle[(next_op_ + i) % plan_.mix_cycle.size()];
    stats_.RecordTransport(&op, "unsent");
  }
  waiting_.clear();
  busy_ = 0;
  window_over_ = true;
  MaybeFinish();
}

void Worker::Publish() {
  std::lock_guard lock(published_mu_);
  published_ = stats_;
}

void Worker::SchedulePublish() {
  publish_.expires_after(kPublishEvery);
  publish_.async_wait([this](boost::system::error_code ec) {
    // A tick that fired before MaybeFinish cancelled it still arrives without an error: re-arming
    // it then would keep io_.run() from ever returning.
    if (ec || finished_) return;
    Publish();
    SchedulePublish();
  });
}

}  // namespace xks::loadgen
