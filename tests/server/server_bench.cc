// Requests/s of the server over keep-alive TLS 1.3 for a trivial handler (I/O thread → worker
// pool → back to the strand) against /ping (answered on the I/O thread), same client, same run.
// The ratio handler/ping is the cost of the worker hop; compare only figures from one run.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "proxy/server/server.h"
#include "proxy/server/test_support.h"

namespace xks::server {
namespace {

using testing::ClientOptions;
using testing::KeyType;
using testing::TestClient;
using testing::TestPki;

struct BenchServer {
  BenchServer() {
    ca = pki.MakeCa("ca", KeyType::kEc);
    const auto leaf = pki.MakeLeaf("server", "server", KeyType::kEc, &ca);
    ServerOptions options;
    options.tls = {leaf.cert_file, leaf.key_file, "", {}};
    options.io_threads = 1;
    options.worker_threads = 1;
    options.queue_limit = 1024;
    options.time_budget = std::chrono::milliseconds(5000);
    server = std::make_unique<Server>(options, [](const HttpRequest&) {
      HttpResponse response;
      response.headers.push_back({"Content-Type", "application/json"});
      response.body =
          R"({"ciphertext":"ghxkK1txeDNn3q8Y","initializationVector":"AAAAAAAAAAAAAAAA"})";
      return response;
    });
    if (!server->Start().ok()) std::abort();
  }
  TestPki pki;
  testing::Identity ca;
  std::unique_ptr<Server> server;
};

BenchServer& Shared() {
  static BenchServer* instance = new BenchServer();  // lives until exit; threads share it
  return *instance;
}

void BM_Request(benchmark::State& state, const std::string& method, const std::string& target) {
  BenchServer& bench = Shared();
  ClientOptions options;
  options.ca_file = bench.ca.cert_file;
  auto client = TestClient::Connect(bench.server->port(), options);
  if (!client) {
    state.SkipWithError("connect failed");
    return;
  }
  // A 342-byte body like the PERF-FACTS nginx baseline.
  const std::string body = method == "POST" ? std::string(342, 'x') : std::string();
  for (auto _ : state) {
    auto response = client->Request(method, target, body);
    if (!response || response->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_Request, handler, std::string("POST"),
                  std::string("/kms/xks/v1/keys/k/encrypt"))
    ->UseRealTime()
    ->Threads(1)
    ->Threads(8);
BENCHMARK_CAPTURE(BM_Request, ping, std::string("GET"), std::string("/ping"))
    ->UseRealTime()
    ->Threads(1)
    ->Threads(8);

}  // namespace
}  // namespace xks::server

BENCHMARK_MAIN();
