// An AsyncHandler completes requests from other threads, later: a request in flight costs its
// state, not a worker. Late and post-shutdown responses are dropped safely.

#include <pthread.h>

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

// The thread a handler runs on, by the name the server gives its threads.
std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

// Answers at once, telling which thread ran it; "/auth" answers count as authenticated.
AsyncHandler NamingHandler() {
  return [](const HttpRequest& request, Respond respond) {
    HttpResponse response;
    response.body = ThreadName();
    response.authenticated = request.target == "/auth";
    respond(std::move(response));
  };
}

TEST_F(ServerTest, AnAuthenticatedConnectionRunsANonBlockingHandlerOnItsIoThread) {
  ServerOptions options = Options(ec_server_);
  options.run_authenticated_inline = true;
  StartServer(options, NamingHandler());
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto first = client->Request("POST", "/auth", "x");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "xks-worker") << "a connection's first request goes through the pool";
  for (int i = 0; i < 3; ++i) {
    auto next = client->Request("POST", "/next", "x");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "xks-io") << "request " << i << " after an authenticated answer";
  }
  // Another connection, never authenticated, stays on the workers.
  auto anonymous = Connect(Client());
  ASSERT_TRUE(anonymous);
  for (int i = 0; i < 2; ++i) {
    auto response = anonymous->Request("POST", "/anonymous", "x");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "xks-worker");
  }
}

TEST_F(ServerTest, WithoutTheOptionEveryRequestGoesThroughTheWorkers) {
  StartServer(Options(ec_server_), NamingHandler());
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  for (const char* target : {"/auth", "/next"}) {
    auto response = client->Request("POST", target, "x");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "xks-worker") << target;
  }
}

TEST_F(ServerTest, ABlockingHandlerNeverRunsOnAnIoThread) {
  ServerOptions options = Options(ec_server_);
  options.run_authenticated_inline = true;  // ignored: this handler blocks its thread
  StartServer(options, [](const HttpRequest& /*request*/) {
    HttpResponse response;
    response.body = ThreadName();
    response.authenticated = true;
    return response;
  });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  for (int i = 0; i < 2; ++i) {
    auto response = client->Request("POST", "/blocking", "x");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "xks-worker");
  }
}

TEST_F(ServerTest, AnInlineRequestStillGetsItsBudget) {
  HeldResponses held;
  ServerOptions options = Options(ec_server_);
  options.run_authenticated_inline = true;
  options.time_budget = std::chrono::milliseconds(300);
  std::atomic<bool> hold{false};
  AsyncHandler naming = NamingHandler();
  AsyncHandler keep = held.Handler();
  StartServer(options, AsyncHandler([&](const HttpRequest& request, Respond respond) {
                (hold.load() ? keep : naming)(request, std::move(respond));
              }));
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Request("POST", "/auth", "x"));
  hold = true;  // the next request is never answered by its handler
  auto timed_out = client->Request("POST", "/held", "x");
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 503);
  hold = false;
  EXPECT_EQ(held.CompleteAll(), 1u);  // late: dropped
  auto next = client->Request("POST", "/next", "x");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "xks-io");
}

}  // namespace
}  // namespace xks::server
