// Latency of valid signed Encrypts against a running xks-proxy while unauthenticated traffic
// floods it (issue 11 item 8): p50/p99/max of the valid requests with no flood, during a flood of
// connections pipelining unsigned Encrypts, and during a flood pipelining GET /ping. Everything
// goes to 127.0.0.1 only, every phase is bounded in time. tools/flood-bench.sh provisions a
// SoftHSMv2 tenant, starts the proxy and runs this; it is a benchmark (built with
// XKS_BUILD_BENCHMARKS), not a test: it asserts nothing.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proxy/auth/sigv4_canonical.h"
#include "proxy/auth/sigv4_signer.h"
#include "proxy/server/test_support.h"

namespace {

using Clock = std::chrono::steady_clock;
using xks::server::testing::ClientOptions;
using xks::server::testing::TestClient;

struct Options {
  int port = 0;
  std::string ca_file;
  std::string prefix;  // e.g. "/alpha"
  std::string key_id;
  std::string access_key_id;
  std::string secret;
  int seconds = 10;
  int valid_connections = 4;
  int flood_connections = 16;
  int pipeline = 32;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "flood_bench: %s\n"
               "usage: flood_bench --port P --ca-file F --prefix /T --key ID --access-key-id A\n"
               "                   --secret-file F [--seconds 10] [--valid-connections 4]\n"
               "                   [--flood-connections 16] [--pipeline 32]\n",
               why);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (argc % 2 == 0) Usage("every option takes a value");
  auto need = [&](const char* name) {
    auto it = args.find(name);
    if (it == args.end()) Usage((std::string("missing ") + name).c_str());
    return it->second;
  };
  auto number = [&](const char* name, int fallback) {
    auto it = args.find(name);
    return it == args.end() ? fallback : std::atoi(it->second.c_str());
  };
  o.port = std::atoi(need("--port").c_str());
  o.ca_file = need("--ca-file");
  o.prefix = need("--prefix");
  o.key_id = need("--key");
  o.access_key_id = need("--access-key-id");
  std::ifstream secret(need("--secret-file"));
  std::getline(secret, o.secret);
  if (o.secret.empty()) Usage("empty secret file");
  o.seconds = std::clamp(number("--seconds", o.seconds), 1, 120);
  o.valid_connections = std::clamp(number("--valid-connections", o.valid_connections), 1, 64);
  o.flood_connections = std::clamp(number("--flood-connections", o.flood_connections), 0, 64);
  o.pipeline = std::clamp(number("--pipeline", o.pipeline), 1, 256);
  return o;
}

std::string EncryptBody(int n) {
  return R"({"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::123456789012:user/bench",)"
         R"("kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/bench","kmsOperation":"Encrypt",)"
         R"("kmsRequestId":"bench-)" +
         std::to_string(n) +
         R"("},"plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",)"
         R"("encryptionAlgorithm":"AES_GCM","ciphertextDataIntegrityValueAlgorithm":"SHA_256"})";
}

struct Latencies {
  std::mutex mu;
  std::vector<double> ms;
  std::map<int, long> statuses;
  long failures = 0;  // transport failures (reconnected)
};

// One keep-alive connection sending signed Encrypts back to back until `stop`.
void ValidClient(const Options& o, const std::atomic<bool>& stop, const std::atomic<bool>& measure,
                 Latencies& out) {
  ClientOptions client_options;
  client_options.ca_file = o.ca_file;
  std::unique_ptr<TestClient> client;
  const std::string target = o.prefix + "/kms/xks/v1/keys/" + o.key_id + "/encrypt";
  int n = 0;
  while (!stop.load()) {
    if (!client) {
      client = TestClient::Connect(static_cast<std::uint16_t>(o.port), client_options);
      if (!client) {
        std::lock_guard lock(out.mu);
        ++out.failures;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
    }
    const std::string body = EncryptBody(n++);
    xks::auth::SigningInput in;
    in.method = "POST";
    in.target = target;
    in.headers = {{"Host", "127.0.0.1"}, {"Content-Type", "application/json"}};
    in.body = body;
    in.access_key_id = o.access_key_id;
    in.secret = o.secret;
    in.amz_date = xks::auth::FormatAmzDate(std::chrono::system_clock::now());
    std::string headers = "Content-Type: application/json\r\n";
    for (const auto& h : xks::auth::SignRequest(in)) headers += h.name + ": " + h.value + "\r\n";
    const auto t0 = Clock::now();
    auto response = client->Request("POST", target, body, headers);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::lock_guard lock(out.mu);
    if (!response) {
      ++out.failures;
      client.reset();
      continue;
    }
    if (measure.load()) {
      out.ms.push_back(ms);
      ++out.statuses[response->status];
    }
  }
}

// One connection pipelining `pipeline` copies of `request` at a time, reading every answer.
void FloodClient(const Options& o, const std::string& request, const std::atomic<bool>& stop,
                 std::atomic<long>& answered) {
  ClientOptions client_options;
  client_options.ca_file = o.ca_file;
  std::string batch;
  for (int i = 0; i < o.pipeline; ++i) batch += request;
  const bool head = false;
  while (!stop.load()) {
    auto client = TestClient::Connect(static_cast<std::uint16_t>(o.port), client_options);
    if (!client) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    while (!stop.load()) {
      if (!client->Send(batch)) break;
      int got = 0;
      for (; got < o.pipeline; ++got) {
        if (!client->ReadResponse(head)) break;
      }
      answered += got;
      if (got < o.pipeline) break;  // the server closed the connection: open another
    }
  }
}

struct PhaseResult {
  std::string name;
  std::vector<double> ms;
  std::map<int, long> statuses;
  long failures = 0;
  double flood_per_second = 0;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

PhaseResult RunPhase(const Options& o, const std::string& name, const std::string& flood_request) {
  std::atomic<bool> stop{false}, measure{false};
  std::atomic<long> answered{0};
  Latencies latencies;
  std::vector<std::thread> threads;
  const int flooders = flood_request.empty() ? 0 : o.flood_connections;
  for (int i = 0; i < flooders; ++i) {
    threads.emplace_back([&] { FloodClient(o, flood_request, stop, answered); });
  }
  for (int i = 0; i < o.valid_connections; ++i) {
    threads.emplace_back([&] { ValidClient(o, stop, measure, latencies); });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // connect, warm up
  const long answered_before = answered.load();
  measure = true;
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  measure = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const long flood_answers = answered.load() - answered_before;
  stop = true;
  for (auto& t : threads) t.join();
  PhaseResult r;
  r.name = name;
  r.ms = std::move(latencies.ms);
  r.statuses = std::move(latencies.statuses);
  r.failures = latencies.failures;
  r.flood_per_second = static_cast<double>(flood_answers) / elapsed;
  return r;
}

void Print(PhaseResult& r) {
  std::sort(r.ms.begin(), r.ms.end());
  std::ostringstream statuses;
  for (const auto& [status, count] : r.statuses) statuses << " " << status << "x" << count;
  std::printf(
      "%-22s valid=%6zu  p50=%7.2f ms  p99=%7.2f ms  max=%7.2f ms  flood=%7.0f/s  statuses:%s"
      "  reconnects=%ld\n",
      r.name.c_str(), r.ms.size(), Percentile(r.ms, 0.5), Percentile(r.ms, 0.99),
      r.ms.empty() ? 0.0 : r.ms.back(), r.flood_per_second, statuses.str().c_str(), r.failures);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const std::string target = o.prefix + "/kms/xks/v1/keys/" + o.key_id + "/encrypt";
  const std::string body = EncryptBody(0);
  const std::string unsigned_encrypt = "POST " + target +
                                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                       "application/json\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string ping = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::printf(
      "flood_bench: %d valid keep-alive connections; floods of %d connections pipelining "
      "%d requests; %d s per phase; 127.0.0.1:%d\n",
      o.valid_connections, o.flood_connections, o.pipeline, o.seconds, o.port);
  PhaseResult baseline = RunPhase(o, "no flood", "");
  Print(baseline);
  PhaseResult unsigned_flood = RunPhase(o, "unsigned-encrypt flood", unsigned_encrypt);
  Print(unsigned_flood);
  PhaseResult ping_flood = RunPhase(o, "ping flood", ping);
  Print(ping_flood);
  return 0;
}
