// Socket-level tests of xks::server::Server over real TLS on 127.0.0.1:0, with certificates made
// by the test. No sleeps decide an outcome: tests wait on latches, condition variables or
// observable server state.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

TEST_F(ServerTest, EchoOverTlsWithRsaAndEcCertificates) {
  for (const Identity* identity : {&rsa_server_, &ec_server_}) {
    StartServer(Options(*identity));
    auto client = Connect(Client());
    ASSERT_TRUE(client);
    auto response = client->Request("POST", "/kms/xks/v1/keys/k1/encrypt?x=1", R"({"a":1})",
                                    "Content-Type: application/json\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"a":1})");
    EXPECT_EQ(response->Header("X-Method"), "POST");
    EXPECT_EQ(response->Header("X-Target"), "/kms/xks/v1/keys/k1/encrypt?x=1");
    EXPECT_EQ(response->Header("X-Tls"), "1");
    EXPECT_EQ(response->Header("X-Subject"), "none");
    EXPECT_EQ(response->Header("Content-Length"), "7");
    EXPECT_EQ(client->ServerCommonName(), identity == &rsa_server_ ? "server-rsa" : "server-ec");
    server_->Shutdown(std::chrono::milliseconds(1000));
    server_.reset();
  }
}

TEST_F(ServerTest, HandlerSeesHeadersInArrivalOrderWithDuplicates) {
  std::mutex mutex;
  HttpRequest seen;
  StartServer(Options(ec_server_), [&](const HttpRequest& request) {
    std::lock_guard lock(mutex);
    seen = request;
    return HttpResponse{};
  });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto response = client->Request("POST", "/x", "b", "X-Dup: 1\r\nx-dup: 2\r\n");
  ASSERT_TRUE(response);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.HeaderCount("X-Dup"), 2u);
  EXPECT_EQ(seen.Header("x-dup"), "1");
  EXPECT_EQ(seen.version, 11);
  EXPECT_NE(seen.received_at, std::chrono::steady_clock::time_point{});
  EXPECT_EQ(seen.connection.peer_address.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(ServerTest, KeepAliveServesTwoHundredRequestsOnOneConnection) {
  StartServer(Options(ec_server_));
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  for (int i = 0; i < 200; ++i) {
    const std::string body = "request-" + std::to_string(i);
    auto response = client->Request("POST", "/echo", body);
    ASSERT_TRUE(response) << "request " << i;
    ASSERT_EQ(response->status, 200);
    ASSERT_EQ(response->body, body);
  }
  EXPECT_EQ(server_->stats().requests, 200u);
}

TEST_F(ServerTest, SixtyParallelConnectionsTwentyRequestsEach) {
  ServerOptions options = Options(ec_server_);
  options.io_threads = 2;
  options.worker_threads = 2;
  StartServer(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 60; ++c) {
    threads.emplace_back([&, c] {
      auto client = TestClient::Connect(server_->port(), Client());
      if (!client) return;
      for (int i = 0; i < 20; ++i) {
        const std::string body = std::to_string(c) + "/" + std::to_string(i);
        auto response = client->Request("POST", "/echo", body);
        if (response && response->status == 200 && response->body == body) ok.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 60 * 20);
  EXPECT_EQ(server_->stats().throttled, 0u);
}

TEST_F(ServerTest, OneMebibyteBodyIsRefusedAndServerKeepsServing) {
  std::atomic<int> calls{0};
  StartServer(Options(ec_server_), [&](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  auto big = Connect(Client());
  ASSERT_TRUE(big);
  auto response = big->Request("POST", "/kms/xks/v1/keys/k/encrypt", std::string(1 << 20, 'A'));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->Header("Content-Type"), "application/json");
  EXPECT_EQ(response->body.rfind(R"({"errorName":"ValidationException","errorMessage":")", 0), 0u)
      << response->body;
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(big->PeerClosed());
  EXPECT_EQ(calls.load(), 0);

  auto next = Connect(Client());
  ASSERT_TRUE(next);
  auto small = next->Request("POST", "/echo", "fine");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
  const auto rejections = Rejections();
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(rejections[0].status, 413);
  EXPECT_EQ(rejections[0].name, ErrorName::kValidation);
  EXPECT_EQ(rejections[0].target, "/kms/xks/v1/keys/k/encrypt");
  EXPECT_FALSE(rejections[0].had_body);
  EXPECT_EQ(server_->stats().rejected, 1u);
}

TEST_F(ServerTest, OversizedHeaderIsRefused) {
  ServerOptions options = Options(ec_server_);
  options.max_header_bytes = 1024;
  StartServer(options);
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto response = client->Request("GET", "/x", "", "X-Big: " + std::string(4096, 'h') + "\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client->PeerClosed());
}

TEST_F(ServerTest, MalformedRequestGets400JsonAndClose) {
  std::atomic<int> calls{0};
  StartServer(Options(ec_server_), [&](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("NOT A REQUEST\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->Header("Content-Type"), "application/json");
  EXPECT_NE(response->body.find("\"errorName\":\"ValidationException\""), std::string::npos);
  EXPECT_TRUE(client->PeerClosed());
  EXPECT_EQ(calls.load(), 0);
  ASSERT_EQ(Rejections().size(), 1u);
  EXPECT_EQ(Rejections()[0].status, 400);
}

TEST_F(ServerTest, PingIsAnsweredWithoutTheHandler) {
  std::atomic<int> calls{0};
  StartServer(Options(ec_server_), [&](const HttpRequest& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto get = client->Request("GET", "/ping");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, R"({"status":"OK"})");
  EXPECT_EQ(get->Header("Content-Type"), "application/json");
  auto head = client->Request("HEAD", "/ping");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "15");
  EXPECT_EQ(head->Header("Content-Type"), "application/json");
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(calls.load(), 0);
  // Anything else, including other methods on the ping path and GETs elsewhere, is the handler's.
  auto post = client->Request("POST", "/ping", "x");
  ASSERT_TRUE(post);
  auto other_get = client->Request("GET", "/kms/xks/v1/health");
  ASSERT_TRUE(other_get);
  EXPECT_EQ(other_get->Header("X-Target"), "/kms/xks/v1/health");
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer(Options(ec_server_));
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  std::string batch;
  for (int i = 0; i < 5; ++i) {
    batch += "POST /p" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n" +
             std::to_string(i);
  }
  ASSERT_TRUE(client->Send(batch));
  for (int i = 0; i < 5; ++i) {
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, std::to_string(i));
  }
}

TEST_F(ServerTest, ConnectionCloseAndHttp10AreHonored) {
  StartServer(Options(ec_server_));
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto response = client->Request("POST", "/a", "x", "Connection: close\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client->PeerClosed());

  auto old = Connect(Client());
  ASSERT_TRUE(old);
  ASSERT_TRUE(old->Send("GET /ping HTTP/1.0\r\n\r\n"));
  auto response10 = old->ReadResponse();
  ASSERT_TRUE(response10);
  EXPECT_EQ(response10->status, 200);
  EXPECT_TRUE(old->PeerClosed());
}

TEST_F(ServerTest, ProtocolAndCipherPolicy) {
  StartServer(Options(rsa_server_));
  const auto connects = [&](ClientOptions options) {
    return TestClient::Connect(server_->port(), options) != nullptr;
  };
  ClientOptions tls11 = Client();
  tls11.min_version = TLS1_1_VERSION;
  tls11.max_version = TLS1_1_VERSION;
  tls11.cipher_list = "DEFAULT:@SECLEVEL=0";
  EXPECT_FALSE(connects(tls11));

  ClientOptions tls12_weak = Client();
  tls12_weak.max_version = TLS1_2_VERSION;
  tls12_weak.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384";
  EXPECT_FALSE(connects(tls12_weak));

  ClientOptions tls13_aes128 = Client();
  tls13_aes128.min_version = TLS1_3_VERSION;
  tls13_aes128.ciphersuites = "TLS_AES_128_GCM_SHA256";
  EXPECT_FALSE(connects(tls13_aes128));

  for (const char* suite : {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    ClientOptions tls13 = Client();
    tls13.min_version = TLS1_3_VERSION;
    tls13.ciphersuites = suite;
    auto client = TestClient::Connect(server_->port(), tls13);
    ASSERT_TRUE(client) << suite;
    EXPECT_EQ(client->Cipher(), suite);
    EXPECT_TRUE(client->Request("GET", "/ping"));
  }
  ClientOptions tls12_rsa = Client();
  tls12_rsa.max_version = TLS1_2_VERSION;
  tls12_rsa.cipher_list = "ECDHE-RSA-AES256-GCM-SHA384";
  auto rsa_client = TestClient::Connect(server_->port(), tls12_rsa);
  ASSERT_TRUE(rsa_client);
  EXPECT_EQ(rsa_client->Cipher(), "ECDHE-RSA-AES256-GCM-SHA384");
  rsa_client.reset();
  server_->Shutdown(std::chrono::milliseconds(1000));

  StartServer(Options(ec_server_));
  ClientOptions tls12_ec = Client();
  tls12_ec.max_version = TLS1_2_VERSION;
  tls12_ec.cipher_list = "ECDHE-ECDSA-AES256-GCM-SHA384";
  auto ec_client = TestClient::Connect(server_->port(), tls12_ec);
  ASSERT_TRUE(ec_client);
  EXPECT_EQ(ec_client->Cipher(), "ECDHE-ECDSA-AES256-GCM-SHA384");
  ClientOptions tls12_ec_weak = tls12_ec;
  tls12_ec_weak.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
  EXPECT_FALSE(connects(tls12_ec_weak));
}

TEST_F(ServerTest, FullQueueIsThrottledAtOnce) {
  Gate gate;
  ServerOptions options = Options(ec_server_);
  options.worker_threads = 1;
  options.queue_limit = 2;
  StartServer(options, [&](const HttpRequest& request) {
    if (request.target == "/block") gate.Wait();
    return Echo(request);
  });
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(Connect(Client()));
    ASSERT_TRUE(clients.back());
  }
  const std::string request = "POST /block HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(clients[0]->Send(request));
  gate.AwaitWaiting(1);  // the only worker is now blocked
  ASSERT_TRUE(clients[1]->Send(request));
  ASSERT_TRUE(clients[2]->Send(request));
  // The two queued jobs are observable server state; no timing involved.
  while (server_->stats().queued < 2) std::this_thread::yield();

  auto throttled = clients[3]->Request("POST", "/block", "payload");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 429);
  EXPECT_EQ(
      throttled->body,
      R"({"errorName":"ThrottlingException","errorMessage":"too many requests in progress"})");
  EXPECT_EQ(throttled->Header("Content-Type"), "application/json");
  // Ping is I/O-thread work: still answered while the pool is saturated.
  auto ping = clients[3]->Request("GET", "/ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);

  gate.Open();
  for (int i = 0; i < 3; ++i) {
    auto response = clients[i]->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  const auto stats = server_->stats();
  EXPECT_EQ(stats.throttled, 1u);
  const auto rejections = Rejections();
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(rejections[0].status, 429);
  EXPECT_EQ(rejections[0].name, ErrorName::kThrottling);
  EXPECT_FALSE(rejections[0].had_body);
}

TEST_F(ServerTest, TimeBudgetAnswers503AndConnectionStaysUsable) {
  Gate gate;
  std::atomic<int> slow_finished{0};
  ServerOptions options = Options(ec_server_);
  options.worker_threads = 2;
  options.time_budget = std::chrono::milliseconds(50);
  StartServer(options, [&](const HttpRequest& request) {
    if (request.target == "/slow") {
      gate.Wait();
      slow_finished.fetch_add(1);
      HttpResponse late;
      late.body = "late";
      return late;
    }
    return Echo(request);
  });
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  auto timed_out = client->Request("POST", "/slow", "x");
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 503);
  EXPECT_EQ(timed_out->body.rfind(R"({"errorName":"DependencyTimeoutException",)", 0), 0u);
  gate.Open();
  while (slow_finished.load() == 0) std::this_thread::yield();
  // The late "late" body must never show up; the next answer is the next request's.
  auto next = client->Request("POST", "/fast", "fast");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "fast");
  EXPECT_EQ(server_->stats().timed_out, 1u);
  const auto rejections = Rejections();
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(rejections[0].status, 503);
  EXPECT_EQ(rejections[0].name, ErrorName::kDependencyTimeout);
}

TEST_F(ServerTest, JobThatWaitedPastItsBudgetIsDroppedWithoutCallingHandler) {
  Gate gate;
  std::atomic<int> queued_calls{0};
  ServerOptions options = Options(ec_server_);
  options.worker_threads = 1;
  options.time_budget = std::chrono::milliseconds(50);
  StartServer(options, [&](const HttpRequest& request) {
    if (request.target == "/block") {
      gate.Wait();
    } else {
      queued_calls.fetch_add(1);
    }
    return Echo(request);
  });
  auto blocker = Connect(Client());
  auto queued = Connect(Client());
  ASSERT_TRUE(blocker && queued);
  ASSERT_TRUE(blocker->Send("POST /block HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
  gate.AwaitWaiting(1);
  auto response = queued->Request("POST", "/queued", "x");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  // The blocker's budget (which started first) must have fired before its handler returns; on a
  // loaded machine its timer can still be waiting for an I/O thread when the queued 503 is out.
  for (int i = 0; i < 500 && server_->stats().timed_out < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  gate.Open();
  auto blocked = blocker->ReadResponse();
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 503);
  // Both 503s are out, and the pool drains the queued job; the handler must not have seen it.
  server_->Shutdown(std::chrono::milliseconds(1000));
  EXPECT_EQ(queued_calls.load(), 0);
  EXPECT_EQ(server_->stats().timed_out, 2u);
}

TEST_F(ServerTest, ReloadTlsSwapsCertificateForNewConnectionsOnly) {
  StartServer(Options(rsa_server_));
  auto old_connection = Connect(Client());
  ASSERT_TRUE(old_connection);
  EXPECT_EQ(old_connection->ServerCommonName(), "server-rsa");
  ASSERT_TRUE(old_connection->Request("POST", "/a", "1"));

  TlsOptions bad;
  bad.certificate_chain_file = ec_server_.cert_file;
  bad.private_key_file = rsa_server_.key_file;  // does not match
  auto refused = server_->ReloadTls(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().problem.find("does not match"), std::string::npos)
      << refused.error().ToString();
  auto still_old = Connect(Client());
  ASSERT_TRUE(still_old);
  EXPECT_EQ(still_old->ServerCommonName(), "server-rsa");

  auto renewed = server_->ReloadTls({ec_server_.cert_file, ec_server_.key_file, "", {}});
  ASSERT_TRUE(renewed.ok()) << renewed.error().ToString();
  auto new_connection = Connect(Client());
  ASSERT_TRUE(new_connection);
  EXPECT_EQ(new_connection->ServerCommonName(), "server-ec");
  ASSERT_TRUE(new_connection->Request("POST", "/b", "2"));

  auto again = old_connection->Request("POST", "/c", "3");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, "3");
}

TEST_F(ServerTest, ShutdownDrainsInFlightRequestAndClosesIdleConnections) {
  Gate gate;
  StartServer(Options(ec_server_), [&](const HttpRequest& request) {
    if (request.target == "/block") gate.Wait();
    return Echo(request);
  });
  auto idle = Connect(Client());
  auto busy = Connect(Client());
  ASSERT_TRUE(idle && busy);
  ASSERT_TRUE(idle->Request("POST", "/warmup", "w"));
  ASSERT_TRUE(busy->Send("POST /block HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
  gate.AwaitWaiting(1);
  const std::uint16_t port = server_->port();
  std::thread stopper([&] { server_->Shutdown(std::chrono::milliseconds(30000)); });
  // The listener closes first; after that the in-flight request may finish.
  while (!testing::ConnectRefused(port)) std::this_thread::yield();
  EXPECT_TRUE(idle->PeerClosed());
  gate.Open();
  auto response = busy->ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hi");
  EXPECT_EQ(response->Header("Connection"), "close");
  stopper.join();
  EXPECT_EQ(server_->stats().connections_open, 0u);
}

TEST_F(ServerTest, IdleAndSlowConnectionsAreClosedByTimeouts) {
  ServerOptions options = Options(ec_server_);
  options.idle_timeout = std::chrono::milliseconds(100);
  options.read_timeout = std::chrono::milliseconds(100);
  StartServer(options);
  auto idle = Connect(Client());
  ASSERT_TRUE(idle);
  EXPECT_TRUE(idle->PeerClosed());  // returns when the server gives up on the silent client
  auto slow = Connect(Client());
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->Send("POST /x HTTP/1.1\r\nHost: a\r\n"));  // header never finished
  EXPECT_TRUE(slow->PeerClosed());
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  ServerOptions options = Options(ec_server_);
  options.max_connections = 1;
  StartServer(options);
  auto first = Connect(Client());
  ASSERT_TRUE(first);
  // Authenticated, so it may not be evicted to make room: the newcomer is refused.
  ASSERT_TRUE(first->Request("POST", "/auth", "", "X-Test-Authenticated: 1\r\n"));
  EXPECT_FALSE(TestClient::Connect(server_->port(), Client()));
  ASSERT_TRUE(first->Request("GET", "/ping"));
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  EXPECT_EQ(server_->stats().connections_evicted, 0u);
}

TEST_F(ServerTest, InsecureModeServesPlainHttp) {
  ServerOptions options;
  options.insecure = true;
  StartServer(options);
  ClientOptions plain;
  plain.tls = false;
  auto client = Connect(plain);
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    auto response = client->Request("POST", "/echo", "plain");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "plain");
    EXPECT_EQ(response->Header("X-Tls"), "0");
  }
  EXPECT_FALSE(server_->ReloadTls({}).ok());
}

TEST_F(ServerTest, StartReportsBadCertificateAndBusyPort) {
  ServerOptions options = Options(ec_server_);
  options.tls.private_key_file = rsa_server_.key_file;
  Server mismatched(options, Echo);
  auto result = mismatched.Start();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().problem.find("does not match"), std::string::npos);

  StartServer(Options(ec_server_));
  ServerOptions same_port = Options(ec_server_);
  same_port.port = server_->port();
  Server clash(same_port, Echo);
  EXPECT_FALSE(clash.Start().ok());
}

TEST_F(ServerTest, CurlFetchesPing) {
  StartServer(Options(ec_server_));
  int exit_status = -1;
  const std::string output = RunCurl("--max-time 20", "/ping", &exit_status);
  EXPECT_EQ(exit_status, 0);
  EXPECT_EQ(output, R"({"status":"OK"})");
}

}  // namespace
}  // namespace xks::server
