#pragma once
// The fixture the socket-level server tests share: a throw-away PKI, a server on 127.0.0.1:0
// with an echoing handler, a gate for handlers to block on, and the rejections the server
// reported. Test-only; included by the tests/server/*_test.cc files of one executable.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/server/server.h"
#include "proxy/server/test_support.h"

namespace xks::server {

using testing::ClientOptions;
using testing::ClientResponse;
using testing::Identity;
using testing::KeyType;
using testing::TestClient;
using testing::TestPki;

// Echoes what the handler saw so tests can check the request crossed intact. A request with
// `X-Test-Authenticated: 1` stands for one whose credentials the handler verified.
inline HttpResponse Echo(const HttpRequest& request) {
  HttpResponse response;
  response.authenticated = request.Header("X-Test-Authenticated") == "1";
  response.headers.push_back(
      {"X-Connection-Authenticated", request.connection.authenticated ? "1" : "0"});
  response.headers.push_back({"Content-Type", "application/json"});
  response.headers.push_back({"X-Method", request.method});
  response.headers.push_back({"X-Target", request.target});
  response.headers.push_back({"X-Tls", request.connection.tls ? "1" : "0"});
  response.headers.push_back(
      {"X-Subject", request.connection.client_cert_subject.value_or("none")});
  response.body = request.body;
  return response;
}

// A gate handlers block on until the test opens it; counts the handlers that reached it.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void AwaitWaiting(int count) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return waiting_ >= count; });
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

struct Rejection {
  std::string target;
  ErrorName name;
  int status;
  bool had_body;
  std::string message;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = pki_.MakeCa("ca", KeyType::kEc);
    rsa_server_ = pki_.MakeLeaf("server-rsa", "server-rsa", KeyType::kRsa, &ca_);
    ec_server_ = pki_.MakeLeaf("server-ec", "server-ec", KeyType::kEc, &ca_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::milliseconds(1000));
  }

  ServerOptions Options(const Identity& identity) {
    ServerOptions options;
    options.tls.certificate_chain_file = identity.cert_file;
    options.tls.private_key_file = identity.key_file;
    options.time_budget = std::chrono::milliseconds(60000);  // tests that need a budget set one
    return options;
  }

  // Through the synchronous Handler constructor (the server adapts it).
  void StartServer(ServerOptions options, Handler handler = Echo) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler), Observer());
    AssertStarted();
  }

  void StartServer(ServerOptions options, AsyncHandler handler) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler), Observer());
    AssertStarted();
  }

  RejectionObserver Observer() {
    return [this](const HttpRequest& request, const Error& error, int status) {
      std::lock_guard lock(rejections_mutex_);
      rejections_.push_back(
          {request.target, error.name, status, !request.body.empty(), error.message});
    };
  }

  void AssertStarted() {
    auto started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    ASSERT_NE(server_->port(), 0);
  }

  ClientOptions Client() {
    ClientOptions options;
    options.ca_file = ca_.cert_file;
    return options;
  }

  std::unique_ptr<TestClient> Connect(const ClientOptions& options) {
    std::string error;
    auto client = TestClient::Connect(server_->port(), options, &error);
    EXPECT_TRUE(client) << error;
    return client;
  }

  // Runs `curl -sS --cacert <test CA> <options> https://127.0.0.1:<port><path>` and returns its
  // stdout; `exit_status` gets what pclose reported (0: success).
  std::string RunCurl(const std::string& options, const std::string& path, int* exit_status) {
    const std::string command = "curl -sS --cacert " + ca_.cert_file + " " + options +
                                " https://127.0.0.1:" + std::to_string(server_->port()) + path;
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      *exit_status = -1;
      return output;
    }
    char buf[256];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    *exit_status = pclose(pipe);
    return output;
  }

  // Waits until the server's stats satisfy `done`: observable state, no timing (ctest's timeout
  // bounds a wait that never ends).
  template <typename Predicate>
  void AwaitStats(Predicate done) {
    while (!done(server_->stats())) std::this_thread::yield();
  }

  std::vector<Rejection> Rejections() {
    std::lock_guard lock(rejections_mutex_);
    return rejections_;
  }

  TestPki pki_;
  Identity ca_, rsa_server_, ec_server_;
  std::unique_ptr<Server> server_;
  std::mutex rejections_mutex_;
  std::vector<Rejection> rejections_;
};

}  // namespace xks::server
