// RefusalAggregator (issue 11 item 8b): the first refusal per (source address, result, status,
// tenant) and interval is recorded, the rest are counted into one summary per interval; memory is
// bounded; nothing is lost at shutdown; nothing ever waits for the disk.

#include "proxy/audit/refusal_aggregator.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace xks::audit {
namespace {

using std::chrono::seconds;

// Keeps every queued event; Append (the waiting call) must never be used by the aggregator.
class QueueOnlySink : public AuditSink {
 public:
  ProxyResult<std::uint64_t> Append(const AuditEvent&) override {
    ADD_FAILURE() << "the aggregator must never wait for the audit log";
    return Fail(MakeError(ErrorName::kInternal, "unexpected"));
  }
  void AppendNoWait(AuditEvent event) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  bool Healthy() const override { return true; }
  std::vector<AuditEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<AuditEvent> summaries() const {
    std::vector<AuditEvent> out;
    for (const auto& e : events()) {
      if (e.kind == AuditEvent::Kind::kRefusalSummary) out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<AuditEvent> events_;
};

AuditEvent Refusal(const std::string& peer, const std::string& result = "InvalidUriPathException",
                   int status = 404, const std::string& tenant = "") {
  AuditEvent e;
  e.operation = "Unknown";
  e.client_address = peer;
  e.result = result;
  e.http_status = status;
  e.tenant = tenant;
  e.http_path = "/probe";
  return e;
}

class RefusalAggregatorTest : public ::testing::Test {
 protected:
  QueueOnlySink sink_;
  std::chrono::system_clock::time_point now_{std::chrono::microseconds(1795000000000000)};
};

TEST(SourceAddressTest, DropsThePortOnly) {
  EXPECT_EQ(SourceAddress("192.0.2.7:5555"), "192.0.2.7");
  EXPECT_EQ(SourceAddress("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(SourceAddress("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(SourceAddress("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(SourceAddress(""), "");
}

TEST_F(RefusalAggregatorTest, FirstOfEachKindIsRecordedTheRestCountedIntoOneSummary) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(10000), 16}, [this] { return now_; });
  const auto start = now_;
  for (int i = 0; i < 50; ++i) {
    agg.Record(Refusal("192.0.2.1:" + std::to_string(40000 + i)));  // new port, same source
    now_ += std::chrono::milliseconds(100);
  }
  agg.Record(Refusal("192.0.2.1:1", "AuthenticationFailedException", 401, "alpha"));
  agg.Record(Refusal("192.0.2.1:1", "AuthenticationFailedException", 401, "alpha"));
  agg.Record(Refusal("192.0.2.2:1"));
  ASSERT_EQ(sink_.events().size(), 3u);
  EXPECT_EQ(sink_.events()[0].client_address, "192.0.2.1:40000") << "recorded as received";
  EXPECT_TRUE(sink_.summaries().empty()) << "nothing summarised before the interval ends";

  agg.EndInterval();
  auto summaries = sink_.summaries();
  ASSERT_EQ(summaries.size(), 2u);
  std::map<std::string, AuditEvent> by_result;
  for (const auto& s : summaries) by_result[s.result] = s;
  const AuditEvent& uri = by_result["InvalidUriPathException"];
  EXPECT_EQ(uri.client_address, "192.0.2.1");
  EXPECT_EQ(uri.refusal_count, 49u);
  EXPECT_EQ(uri.http_status, 404);
  EXPECT_EQ(uri.first_refusal, start + std::chrono::milliseconds(100));
  EXPECT_EQ(uri.last_refusal, start + std::chrono::milliseconds(4900));
  const AuditEvent& auth = by_result["AuthenticationFailedException"];
  EXPECT_EQ(auth.refusal_count, 1u);
  EXPECT_EQ(auth.tenant, "alpha");
  EXPECT_EQ(auth.http_status, 401);

  // A new interval records the first refusal of each kind again.
  agg.Record(Refusal("192.0.2.1:9"));
  EXPECT_EQ(sink_.events().back().kind, AuditEvent::Kind::kRequest);
  agg.EndInterval();
  EXPECT_EQ(sink_.summaries().size(), 2u) << "an interval with one refusal needs no summary";
  const auto stats = agg.stats();
  EXPECT_EQ(stats.recorded, 4u);
  EXPECT_EQ(stats.counted, 50u);
  EXPECT_EQ(stats.summaries, 2u);
}

TEST_F(RefusalAggregatorTest, EveryRefusalIsAccountedFor) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(10000), 4}, [this] { return now_; });
  std::uint64_t sent = 0;
  for (int round = 0; round < 3; ++round) {
    for (int source = 0; source < 10; ++source) {
      for (int i = 0; i < 7; ++i, ++sent) {
        agg.Record(Refusal("198.51.100." + std::to_string(source) + ":1",
                           i % 2 ? "AuthenticationFailedException" : "InvalidUriPathException",
                           i % 2 ? 401 : 404, i % 3 ? "alpha" : "beta"));
      }
    }
    agg.EndInterval();
  }
  std::uint64_t accounted = 0;
  for (const auto& e : sink_.events()) {
    accounted += e.kind == AuditEvent::Kind::kRefusalSummary ? e.refusal_count : 1;
  }
  EXPECT_EQ(accounted, sent);
}

TEST_F(RefusalAggregatorTest, SourcesBeyondTheCapAreFoldedIntoOtherSources) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(10000), 3}, [this] { return now_; });
  for (int source = 0; source < 1000; ++source) {
    agg.Record(Refusal("203.0.113." + std::to_string(source % 250) + ":" + std::to_string(source)));
    agg.Record(Refusal("[2001:db8::" + std::to_string(source) + "]:443"));
  }
  // The first three sources (203.0.113.0, 2001:db8::0, 203.0.113.1) are tracked and get one
  // record each; everything from any other source is counted under "*".
  EXPECT_EQ(sink_.events().size(), 3u);
  agg.EndInterval();
  std::uint64_t other = 0, tracked = 0;
  for (const auto& s : sink_.summaries()) {
    (s.client_address == "*" ? other : tracked) += s.refusal_count;
  }
  EXPECT_EQ(tracked, 6u) << "203.0.113.0 and .1 come back 3 more times each";
  EXPECT_EQ(other, 2000u - 3u - 6u);
  EXPECT_EQ(agg.stats().overflowed, other);
}

TEST_F(RefusalAggregatorTest, StopWritesTheOpenIntervalAndLaterRefusalsIndividually) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(60000), 16}, [this] { return now_; });
  agg.Start();
  for (int i = 0; i < 5; ++i) agg.Record(Refusal("192.0.2.9:1"));
  agg.Stop();
  ASSERT_EQ(sink_.summaries().size(), 1u);
  EXPECT_EQ(sink_.summaries()[0].refusal_count, 4u);
  agg.Record(Refusal("192.0.2.9:1"));
  agg.Record(Refusal("192.0.2.9:1"));
  EXPECT_EQ(sink_.events().size(), 1u + 1u + 2u);
  agg.Stop();  // idempotent
}

TEST_F(RefusalAggregatorTest, ZeroIntervalRecordsEveryRefusal) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(0), 16}, [this] { return now_; });
  agg.Start();  // no timer without an interval
  for (int i = 0; i < 20; ++i) agg.Record(Refusal("192.0.2.1:1"));
  agg.EndInterval();
  EXPECT_EQ(sink_.events().size(), 20u);
  EXPECT_TRUE(sink_.summaries().empty());
}

TEST_F(RefusalAggregatorTest, TheTimerEndsIntervalsByItself) {
  RefusalAggregator agg(sink_, {std::chrono::milliseconds(20), 16}, [this] { return now_; });
  agg.Start();
  // The summary appears without EndInterval being called; bounded wait, no timing assertion.
  // The timer may end an interval between the two records of a pair (each is then the first of
  // its interval, so there is nothing to summarise): record pairs until one lands in one interval.
  for (int pair = 0; pair < 50 && sink_.summaries().empty(); ++pair) {
    agg.Record(Refusal("192.0.2.1:1"));
    agg.Record(Refusal("192.0.2.1:1"));
    for (int i = 0; i < 20 && sink_.summaries().empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_FALSE(sink_.summaries().empty());
  // The interval that produced it has ended and nothing was recorded since.
  const std::size_t summaries = sink_.summaries().size();
  agg.Stop();
  EXPECT_EQ(sink_.summaries().size(), summaries) << "nothing left to summarise at stop";
}

}  // namespace
}  // namespace xks::audit
