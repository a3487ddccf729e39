// audit_bench: Append throughput of the audit log in `fsync` and `write` modes versus audit off
// (a no-op sink), with 1 and 8 appending threads, and the ratios between them from one run.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "proxy/audit/audit_log.h"

namespace xks::audit {
namespace {

class NoopSink : public AuditSink {
 public:
  ProxyResult<std::uint64_t> Append(const AuditEvent& event) override {
    benchmark::DoNotOptimize(event.operation.data());
    return next_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  void AppendNoWait(AuditEvent) override {}
  bool Healthy() const override { return true; }

 private:
  std::atomic<std::uint64_t> next_{0};
};

enum Mode { kOff = 0, kWrite = 1, kFsync = 2 };

std::unique_ptr<AuditSink> g_sink;
std::string g_dir;

AuditEvent SampleEvent() {
  AuditEvent e;
  e.operation = "Encrypt";
  e.tenant = "tenant-a";
  e.external_key_id = "key-0001";
  e.key_label = "xks-key-0001";
  e.request_metadata = {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
                        {"kmsKeyArn",
                         "arn:aws:kms:us-east-1:123456789012:key/"
                         "12345678-1234-1234-1234-123456789012"},
                        {"kmsOperation", "Encrypt"},
                        {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"},
                        {"kmsViaService", "ebs"}};
  e.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  e.client_address = "10.0.0.1:44321";
  e.http_method = "POST";
  e.http_path = "/tenant-a/kms/xks/v1/keys/key-0001/encrypt";
  e.total_latency = std::chrono::microseconds(412);
  e.hsm_latency = std::chrono::microseconds(37);
  e.plaintext_length = 32;
  e.ciphertext_length = 32;
  return e;
}

void Setup(const benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  if (mode == kOff) {
    g_sink = std::make_unique<NoopSink>();
    return;
  }
  char tmpl[] = "/tmp/xks-audit-bench-XXXXXX";
  g_dir = ::mkdtemp(tmpl);
  AuditConfig config;
  config.directory = g_dir;
  config.instance_id = "bench";
  config.durability = mode == kFsync ? Durability::kFsync : Durability::kWrite;
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto signer = FileCheckpointSigner::FromKey(std::move(key));
  auto log = AuditLog::Open(config, std::move(signer).value());
  if (!log.ok()) {
    std::cerr << log.error().ToString() << "\n";
    std::abort();
  }
  g_sink = std::move(log).value();
}

void Teardown(const benchmark::State&) {
  g_sink.reset();
  if (!g_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
    g_dir.clear();
  }
}

void BM_Append(benchmark::State& state) {
  const AuditEvent event = SampleEvent();
  for (auto _ : state) {
    auto r = g_sink->Append(event);
    if (!r.ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Append)
    ->ArgName("mode")  // 0 = audit off (no-op sink), 1 = write, 2 = fsync
    ->Arg(kOff)
    ->Arg(kWrite)
    ->Arg(kFsync)
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Setup(Setup)
    ->Teardown(Teardown);

// The writer thread's per-record CPU work: build the record object, dump it, chain it.
void BM_SerializeRecord(benchmark::State& state) {
  const AuditEvent event = SampleEvent();
  Sha256Digest chain = kGenesisChain;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    RecordHeader header{++seq, "2026-11-27T21:16:38.123456Z", "bench"};
    std::string line = SerializeRecordLine(BuildEventRecord(header, event), chain);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerializeRecord);

// Collects items/s per run so the ratios come from figures measured in the same process.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end() && r.run_type == Run::RT_Iteration) {
        rates_[r.benchmark_name()] = it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios(std::ostream& out) const {
    out << "\nAppend throughput relative to audit off (same run):\n";
    for (int threads : {1, 8}) {
      auto name = [threads](int mode) {
        return "BM_Append/mode:" + std::to_string(mode) +
               "/real_time/threads:" + std::to_string(threads);
      };
      auto off = rates_.find(name(kOff));
      if (off == rates_.end() || off->second <= 0) continue;
      for (int mode : {kWrite, kFsync}) {
        auto m = rates_.find(name(mode));
        if (m == rates_.end()) continue;
        out << "  threads=" << threads << " " << (mode == kWrite ? "write" : "fsync") << ": "
            << static_cast<long long>(m->second) << " appends/s = " << m->second / off->second
            << " x audit-off (" << static_cast<long long>(off->second) << "/s)\n";
      }
    }
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace xks::audit

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  xks::audit::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios(std::cout);
  benchmark::Shutdown();
  return 0;
}
