#include "tools/loadgen/run.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <ostream>
#include <thread>

#include "base/base64.h"
#include "base/random.h"
#include "tools/loadgen/primer.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/worker.h"

namespace xks::loadgen {
namespace {

namespace asio = boost::asio;

// Enough distinct ciphertexts that decrypts do not all open the same one.
constexpr int kPrimeEncrypts = 16;

// The TLS client context: TLS 1.2 or later, the server verified against --ca-file or the system
// store unless --insecure. Throws boost::system::system_error on a bad CA file.
void SetUpTls(asio::ssl::context& tls, const Options& o) {
  tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                  asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (o.insecure) {
    tls.set_verify_mode(asio::ssl::verify_none);
    return;
  }
  if (o.ca_file.empty()) {
    tls.set_default_verify_paths();
  } else {
    tls.load_verify_file(o.ca_file);
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
}

std::vector<std::unique_ptr<Worker>> MakeWorkers(const Options& o, const Target& target,
                                                 const SecretBytes& secret, BodyParams params,
                                                 const std::vector<std::string>& answers) {
  const auto start = Clock::now();
  WorkerPlan plan;
  plan.workers = o.threads;
  plan.rate = o.rate;
  plan.start = start;
  plan.measure_from = start + o.warmup;
  plan.measure_until = plan.measure_from + o.duration;
  plan.timeout = o.timeout;
  plan.mix_cycle = MixCycle(o.mix);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < o.threads; ++i) {
    plan.index = i;
    plan.connections = o.connections / o.threads + (i < o.connections % o.threads ? 1 : 0);
    params.tag = "w" + std::to_string(i);
    workers.push_back(std::make_unique<Worker>(
        plan, target, MakeTemplates(params, o.target.prefix, o.target.HostHeader(), answers),
        RequestSigner(o.access_key_id, secret, o.region)));
  }
  return workers;
}

Stats Merged(const std::vector<std::unique_ptr<Worker>>& workers) {
  Stats all;
  for (const auto& w : workers) all.Merge(w->Published());
  return all;
}

// Runs the workers on their threads; the calling thread only wakes once a second (for
// --progress) until they are all done.
Stats RunWorkers(const Options& o, std::vector<std::unique_ptr<Worker>>& workers,
                 std::ostream& err) {
  std::atomic<int> running{static_cast<int>(workers.size())};
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&running, worker = w.get()] {
      worker->Run();
      --running;
    });
  }
  const auto start = Clock::now();
  auto next = start;
  std::uint64_t last_answered = 0;
  while (running.load() > 0) {
    next += std::chrono::seconds(1);
    while (running.load() > 0 && Clock::now() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!o.progress || running.load() == 0) continue;
    const Stats now = Merged(workers);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    err << ProgressLine(elapsed, static_cast<double>(now.answered - last_answered), now,
                        Clock::now() < start + o.warmup)
        << std::endl;
    last_answered = now.answered;
  }
  for (auto& t : threads) t.join();
  return Merged(workers);
}

}  // namespace

int RunLoad(const Options& o, const SecretBytes& secret, std::ostream& out, std::ostream& err) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  Target target;
  try {
    SetUpTls(tls, o);
    asio::io_context io;
    target.endpoints = asio::ip::tcp::resolver(io).resolve(o.target.host, o.target.port);
  } catch (const boost::system::system_error& e) {
    err << "xks-loadgen: " << e.what() << "\n";
    return kExitSetup;
  }
  target.tls = &tls;
  target.server_name = o.target.host;
  target.verify_host = !o.insecure;

  BodyParams params;
  params.key_id = o.key_id;
  params.plaintext_b64 = Base64Encode(RandomBytes(o.plaintext_bytes).span());
  params.aad_b64 = o.aad_bytes == 0 ? "" : Base64Encode(RandomBytes(o.aad_bytes).span());
  std::vector<std::string> answers;
  if (o.mix.Weight(Op::kDecrypt) > 0) {
    params.tag = "setup";
    RequestSigner signer(o.access_key_id, secret, o.region);
    auto primed = PrimeEncrypts(target,
                                MakeTemplates(params, o.target.prefix, o.target.HostHeader(),
                                              {})[static_cast<std::size_t>(Op::kEncrypt)]
                                    .front(),
                                signer, kPrimeEncrypts, o.timeout);
    if (!primed) {
      err << "xks-loadgen: the start-up encrypts (for the decrypts of the mix) failed: "
          << primed.error() << "\n";
      return kExitSetup;
    }
    answers = std::move(*primed);
  }

  auto workers = MakeWorkers(o, target, secret, params, answers);
  const Stats stats = RunWorkers(o, workers, err);
  const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
  const std::string json = ResultJson(stats, o, seconds).dump(2) + "\n";
  if (o.json_path.empty() || o.json_path == "-") {
    out << json;
  } else {
    std::ofstream file(o.json_path);
    file << json;
    if (!file.flush()) {
      err << "xks-loadgen: cannot write " << o.json_path << "\n";
      return kExitSetup;
    }
  }
  err << SummaryText(stats, seconds);
  return stats.ErrorCount() == 0 ? kExitClean : kExitErrors;
}

}  // namespace xks::loadgen
