// An AsyncHandler completes requests from other threads, later: a request in flight costs its
// state, not a worker. Late and post-shutdown responses are dropped safely.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

// Keeps every request's Respond until the test completes it.
class HeldResponses {
 public:
  AsyncHandler Handler() {
    return [this](const HttpRequest& request, Respond respond) {
      std::lock_guard lock(mutex_);
      held_.push_back({request.target, std::move(respond)});
      cv_.notify_all();
    };
  }
  void AwaitHeld(std::size_t n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return held_.size() >= n; });
  }
  // Answers every held request with its own target as the body; returns how many.
  std::size_t CompleteAll() {
    std::vector<std::pair<std::string, Respond>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& [target, respond] : held) {
      HttpResponse response;
      response.body = target;
      respond(std::move(response));
    }
    return held.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, Respond>> held_;
};

TEST_F(ServerTest, OneWorkerKeepsManyRequestsInFlightAndAnotherThreadAnswersThem) {
  HeldResponses held;
  ServerOptions options = Options(ec_server_);
  options.worker_threads = 1;
  StartServer(options, held.Handler());
  constexpr int kClients = 8;
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto client = Connect(Client());
      ASSERT_TRUE(client);
      const std::string target = "/r" + std::to_string(i);
      auto response = client->Request("POST", target, "x");
      ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 200);
      EXPECT_EQ(response->body, target);
      answered.fetch_add(1);
    });
  }
  // All eight reached the handler with one worker: none of them holds it while in flight.
  held.AwaitHeld(kClients);
  EXPECT_EQ(answered.load(), 0);
  std::thread completer([&] { EXPECT_EQ(held.CompleteAll(), std::size_t{kClients}); });
  completer.join();
  for (auto& c : clients) c.join();
  EXPECT_EQ(answered.load(), kClients);
}

TEST_F(ServerTest, AResponseAfterTheBudgetOrAfterShutdownIsDropped) {
  HeldResponses held;
  ServerOptions options = Options(ec_server_);
  options.time_budget = std::chrono::milliseconds(50);
  StartServer(options, held.Handler());
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto timed_out = client->Request("POST", "/slow", "x");
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 503);
  held.AwaitHeld(1);
  EXPECT_EQ(held.CompleteAll(), 1u);  // late: the client already got 503
  std::thread answer_next([&] {
    held.AwaitHeld(1);
    held.CompleteAll();
  });
  auto next = client->Request("POST", "/next", "x");
  answer_next.join();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "/next") << "the late body never shows up on the connection";

  auto waiting = Connect(Client());
  ASSERT_TRUE(waiting);
  std::thread request([&] { (void)waiting->Request("POST", "/never", "x"); });
  held.AwaitHeld(1);
  server_->Shutdown(std::chrono::milliseconds(0));
  // Destroyed before the client is joined: Shutdown's forced close of the connection may not have
  // run before its I/O threads stopped, and only destroying the server then closes the socket.
  server_.reset();
  request.join();
  // The server is gone: the held Respond must neither post nor touch the session.
  EXPECT_EQ(held.CompleteAll(), 1u);
}

}  // namespace
}  // namespace xks::server
