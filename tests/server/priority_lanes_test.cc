// The classifier's lanes at the socket: requests classified kLow cannot delay kNormal ones by
// more than the one job a worker is already running, a full kLow lane answers 429 at once, and
// the classifier sees whether the connection has authenticated.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

class PriorityLanesTest : public ServerTest {
 protected:
  // `/low...` targets are kLow; `/low-block` waits on the gate. Handler calls are journaled.
  void StartLanes(int workers, std::size_t low_queue_limit) {
    ServerOptions options = Options(ec_server_);
    options.worker_threads = workers;
    options.low_priority_queue_limit = low_queue_limit;
    options.classifier = [this](const HttpRequest& request) {
      {
        std::lock_guard lock(mutex_);
        classified_.push_back(request.target + (request.connection.authenticated ? "+auth" : ""));
      }
      return request.target.rfind("/low", 0) == 0 ? RequestPriority::kLow
                                                  : RequestPriority::kNormal;
    };
    StartServer(options, [this](const HttpRequest& request) {
      if (request.target == "/low-block" || request.target == "/normal-block") gate_.Wait();
      {
        std::lock_guard lock(mutex_);
        handled_.push_back(request.target);
      }
      return Echo(request);
    });
  }

  std::unique_ptr<TestClient> SendOn(const std::string& target) {
    auto client = Connect(Client());
    EXPECT_TRUE(client);
    if (client) {
      EXPECT_TRUE(
          client->Send("POST " + target + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
    }
    return client;
  }

  std::vector<std::string> Handled() {
    std::lock_guard lock(mutex_);
    return handled_;
  }

  Gate gate_;
  std::mutex mutex_;
  std::vector<std::string> handled_, classified_;
};

TEST_F(PriorityLanesTest, LowRequestsNeverHoldTheOtherWorker) {
  StartLanes(/*workers=*/2, /*low_queue_limit=*/8);
  auto blocked = SendOn("/low-block");
  gate_.AwaitWaiting(1);  // one worker runs a kLow job: the most kLow may have of two workers
  std::vector<std::unique_ptr<TestClient>> waiting;
  for (int i = 0; i < 3; ++i) waiting.push_back(SendOn("/low-" + std::to_string(i)));
  AwaitStats([](const Server::Stats& stats) { return stats.queued == 3; });
  // The second worker is free for normal work while every kLow request waits.
  auto normal = Connect(Client());
  ASSERT_TRUE(normal);
  auto response = normal->Request("POST", "/normal", "n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Handled(), (std::vector<std::string>{"/normal"}));
  gate_.Open();
  for (auto& client : waiting) {
    auto answer = client->ReadResponse();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
  }
}

TEST_F(PriorityLanesTest, OneWorkerRunsANormalRequestRightAfterTheLowJobItIsRunning) {
  StartLanes(/*workers=*/1, /*low_queue_limit=*/8);
  auto blocked = SendOn("/low-block");
  gate_.AwaitWaiting(1);
  std::vector<std::unique_ptr<TestClient>> lows;
  for (int i = 0; i < 3; ++i) {
    lows.push_back(SendOn("/low-" + std::to_string(i)));
    const std::uint64_t expected = static_cast<std::uint64_t>(i) + 1;
    AwaitStats([expected](const Server::Stats& stats) { return stats.queued == expected; });
  }
  auto normal = SendOn("/normal");
  AwaitStats([](const Server::Stats& stats) { return stats.queued == 4; });
  gate_.Open();
  auto response = normal->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  for (auto& client : lows) ASSERT_TRUE(client->ReadResponse());
  ASSERT_TRUE(blocked->ReadResponse());
  // Queued last, served second: delayed by the one kLow job already running, no more.
  EXPECT_EQ(Handled(),
            (std::vector<std::string>{"/low-block", "/normal", "/low-0", "/low-1", "/low-2"}));
}

TEST_F(PriorityLanesTest, FullLowLaneIsThrottledWhileNormalRequestsPass) {
  StartLanes(/*workers=*/2, /*low_queue_limit=*/1);
  auto blocked = SendOn("/low-block");
  gate_.AwaitWaiting(1);
  auto queued = SendOn("/low-queued");
  AwaitStats([](const Server::Stats& stats) { return stats.queued == 1; });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto throttled = client->Request("POST", "/low-more", "secret payload");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 429);
  EXPECT_EQ(
      throttled->body,
      R"({"errorName":"ThrottlingException","errorMessage":"too many requests in progress"})");
  auto normal = client->Request("POST", "/normal", "n");
  ASSERT_TRUE(normal);
  EXPECT_EQ(normal->status, 200);
  const auto rejections = Rejections();
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(rejections[0].status, 429);
  EXPECT_EQ(rejections[0].name, ErrorName::kThrottling);
  EXPECT_EQ(rejections[0].target, "/low-more");
  EXPECT_FALSE(rejections[0].had_body);
  EXPECT_EQ(server_->stats().throttled, 1u);
  gate_.Open();
  ASSERT_TRUE(blocked->ReadResponse());
  ASSERT_TRUE(queued->ReadResponse());
}

TEST_F(PriorityLanesTest, ClassifierSeesAuthenticatedConnectionsButNeverPings) {
  StartLanes(/*workers=*/1, /*low_queue_limit=*/8);
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Request("GET", "/ping"));
  ASSERT_TRUE(client->Request("POST", "/first", "", "X-Test-Authenticated: 1\r\n"));
  ASSERT_TRUE(client->Request("POST", "/second", ""));
  std::lock_guard lock(mutex_);
  EXPECT_EQ(classified_, (std::vector<std::string>{"/first", "/second+auth"}));
}

}  // namespace
}  // namespace xks::server
