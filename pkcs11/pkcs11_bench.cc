// The PKCS#11 layer's cost over a raw Cryptoki loop, on SoftHSMv2 (AES-256-GCM, 32-byte AAD).
// Raw encrypt = C_GenerateRandom(12) + C_EncryptInit + C_Encrypt on one session per thread with a
// fixed key handle (the random IV is included so the comparison with the layer, which draws one, is
// fair). Raw decrypt = C_DecryptInit + C_Decrypt. Layer = TokenClient::Encrypt / Decrypt (pool
// lease, key cache, choke point, recovery wrapper). Compare items/s of Raw* and Layer* at the same
// size and thread count; PairedLayerVsRaw alternates both in one loop and reports the ratios
// directly (use it on a loaded machine).
//
//   build/<dir>/pkcs11/pkcs11_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only

#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/module.h"
#include "pkcs11/objects.h"
#include "pkcs11/token.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

struct Fixture {
  std::unique_ptr<testing::SoftHsmSandbox> sandbox;
  std::shared_ptr<Module> module;
  std::unique_ptr<TokenClient> client;       // token key
  std::unique_ptr<TokenClient> copy_client;  // same token, session-object copy
  std::vector<CK_SESSION_HANDLE> raw_sessions;
  CK_OBJECT_HANDLE raw_key = CK_INVALID_HANDLE;
  std::vector<std::uint8_t> aad = testing::PatternBytes(32, 99);
  // A ciphertext per size for the decrypt benchmarks.
  GcmSealed sealed_32, sealed_4300;
};
Fixture* g = nullptr;

const GcmSealed& SealedFor(std::size_t size) { return size == 32 ? g->sealed_32 : g->sealed_4300; }

void RawEncrypt(benchmark::State& state) {
  CK_FUNCTION_LIST* f = g->module->raw_functions();
  const CK_SESSION_HANDLE session = g->raw_sessions[static_cast<std::size_t>(state.thread_index())];
  const auto plaintext = testing::PatternBytes(static_cast<std::size_t>(state.range(0)), 1);
  std::vector<std::uint8_t> out(plaintext.size() + 16);
  std::uint8_t iv[12];
  for (auto _ : state) {
    CK_GCM_PARAMS params{iv, 12, 96, g->aad.data(), g->aad.size(), 128};
    CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
    CK_ULONG out_len = out.size();
    if (f->C_GenerateRandom(session, iv, sizeof iv) != CKR_OK ||
        f->C_EncryptInit(session, &mech, g->raw_key) != CKR_OK ||
        f->C_Encrypt(session, const_cast<std::uint8_t*>(plaintext.data()), plaintext.size(),
                     out.data(), &out_len) != CKR_OK) {
      state.SkipWithError("raw encrypt failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void RawDecrypt(benchmark::State& state) {
  CK_FUNCTION_LIST* f = g->module->raw_functions();
  const CK_SESSION_HANDLE session = g->raw_sessions[static_cast<std::size_t>(state.thread_index())];
  const GcmSealed& s = SealedFor(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> in(s.ciphertext);
  in.insert(in.end(), s.tag.begin(), s.tag.end());
  std::vector<std::uint8_t> iv(s.iv), out(in.size());
  for (auto _ : state) {
    CK_GCM_PARAMS params{iv.data(), iv.size(), iv.size() * 8, g->aad.data(), g->aad.size(), 128};
    CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
    CK_ULONG out_len = out.size();
    if (f->C_DecryptInit(session, &mech, g->raw_key) != CKR_OK ||
        f->C_Decrypt(session, in.data(), in.size(), out.data(), &out_len) != CKR_OK) {
      state.SkipWithError("raw decrypt failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void LayerEncryptWith(benchmark::State& state, TokenClient& client) {
  const auto plaintext = testing::PatternBytes(static_cast<std::size_t>(state.range(0)), 1);
  for (auto _ : state) {
    auto sealed = client.Encrypt("bench", plaintext, g->aad, testing::FarDeadline());
    if (!sealed.ok()) {
      state.SkipWithError("layer encrypt failed");
      break;
    }
    benchmark::DoNotOptimize(sealed->tag);
  }
  state.SetItemsProcessed(state.iterations());
}
void LayerEncrypt(benchmark::State& state) { LayerEncryptWith(state, *g->client); }
void LayerEncryptSessionCopy(benchmark::State& state) { LayerEncryptWith(state, *g->copy_client); }

void LayerDecrypt(benchmark::State& state) {
  const GcmSealed& s = SealedFor(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto plain =
        g->client->Decrypt("bench", s.iv, s.ciphertext, s.tag, g->aad, testing::FarDeadline());
    if (!plain.ok()) {
      state.SkipWithError("layer decrypt failed");
      break;
    }
    benchmark::DoNotOptimize(plain->data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Raw and layer operations alternate inside one loop, each timed on its own, so machine-load drift
// hits both sides equally. Reports layer/raw ratios of thread CPU time and of wall time.
// Args: {plaintext size, 0 = encrypt / 1 = decrypt}.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void PairedLayerVsRaw(benchmark::State& state) {
  CK_FUNCTION_LIST* f = g->module->raw_functions();
  const CK_SESSION_HANDLE session = g->raw_sessions[0];
  const auto size = static_cast<std::size_t>(state.range(0));
  const bool decrypt = state.range(1) == 1;
  const auto plaintext = testing::PatternBytes(size, 1);
  const GcmSealed& s = SealedFor(size);
  std::vector<std::uint8_t> in(s.ciphertext);
  in.insert(in.end(), s.tag.begin(), s.tag.end());
  std::vector<std::uint8_t> iv(s.iv), out(size + 16);
  double raw_cpu = 0, raw_wall = 0, layer_cpu = 0, layer_wall = 0;
  for (auto _ : state) {
    double c0 = ThreadCpuSeconds(), w0 = WallSeconds();
    CK_RV rv;
    if (decrypt) {
      CK_GCM_PARAMS params{iv.data(), iv.size(), iv.size() * 8, g->aad.data(), g->aad.size(), 128};
      CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
      CK_ULONG out_len = out.size();
      rv = f->C_DecryptInit(session, &mech, g->raw_key);
      if (rv == CKR_OK) rv = f->C_Decrypt(session, in.data(), in.size(), out.data(), &out_len);
    } else {
      std::uint8_t fresh_iv[12];
      CK_GCM_PARAMS params{fresh_iv, 12, 96, g->aad.data(), g->aad.size(), 128};
      CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
      CK_ULONG out_len = out.size();
      rv = f->C_GenerateRandom(session, fresh_iv, sizeof fresh_iv);
      if (rv == CKR_OK) rv = f->C_EncryptInit(session, &mech, g->raw_key);
      if (rv == CKR_OK) {
        rv = f->C_Encrypt(session, const_cast<std::uint8_t*>(plaintext.data()), plaintext.size(),
                          out.data(), &out_len);
      }
    }
    double c1 = ThreadCpuSeconds(), w1 = WallSeconds();
    bool layer_ok;
    if (decrypt) {
      layer_ok =
          g->client->Decrypt("bench", s.iv, s.ciphertext, s.tag, g->aad, testing::FarDeadline())
              .ok();
    } else {
      layer_ok = g->client->Encrypt("bench", plaintext, g->aad, testing::FarDeadline()).ok();
    }
    double c2 = ThreadCpuSeconds(), w2 = WallSeconds();
    if (rv != CKR_OK || !layer_ok) {
      state.SkipWithError("paired operation failed");
      break;
    }
    raw_cpu += c1 - c0;
    raw_wall += w1 - w0;
    layer_cpu += c2 - c1;
    layer_wall += w2 - w1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["raw_cpu_us"] = raw_cpu / n * 1e6;
  state.counters["layer_cpu_us"] = layer_cpu / n * 1e6;
  state.counters["cpu_ratio"] = layer_cpu / raw_cpu;
  state.counters["wall_ratio"] = layer_wall / raw_wall;
}
BENCHMARK(PairedLayerVsRaw)->Args({32, 0})->Args({4300, 0})->Args({32, 1})->Args({4300, 1});

BENCHMARK(RawEncrypt)->Arg(32)->Arg(4300)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(LayerEncrypt)->Arg(32)->Arg(4300)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(RawDecrypt)->Arg(32)->Arg(4300)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(LayerDecrypt)->Arg(32)->Arg(4300)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(LayerEncryptSessionCopy)->Arg(32)->Threads(1)->Threads(2)->UseRealTime();

bool SetUp() {
  std::string error;
  g->sandbox = testing::SoftHsmSandbox::Create({"bench"}, &error);
  if (!g->sandbox) return std::fprintf(stderr, "sandbox: %s\n", error.c_str()), false;
  auto module = Module::Load(g->sandbox->module_config());
  if (!module.ok()) return false;
  g->module = module.value();
  auto client = TokenClient::Open(g->module, g->sandbox->token_config("bench", 2));
  if (!client.ok()) return false;
  g->client = std::move(client).value();
  TokenConfig copy_config = g->sandbox->token_config("bench", 2);
  copy_config.copy_keys_to_session_objects = true;
  auto copy_client = TokenClient::Open(g->module, copy_config);
  if (!copy_client.ok()) return false;
  g->copy_client = std::move(copy_client).value();
  AesKeySpec spec;
  spec.label = "bench";
  if (!g->client->CreateAesKey(spec, testing::FarDeadline()).ok()) return false;
  const SecretBytes pin(g->sandbox->token("bench").user_pin);
  const unsigned long slot = [&] {
    TokenSelector selector;
    selector.label = "bench";
    return FindToken(*g->module, selector)->slot_id;
  }();
  for (int i = 0; i < 2; ++i) {
    auto session = OpenLoggedInSession(*g->module, slot, pin);
    if (!session.ok()) return false;
    g->raw_sessions.push_back(session->handle);
  }
  ObjectSelector key;
  key.label = "bench";
  auto handle = FindOneKey(*g->module, g->raw_sessions[0], key, CKO_SECRET_KEY);
  if (!handle.ok()) return false;
  g->raw_key = handle.value();
  auto s32 =
      g->client->Encrypt("bench", testing::PatternBytes(32, 1), g->aad, testing::FarDeadline());
  auto s4300 =
      g->client->Encrypt("bench", testing::PatternBytes(4300, 1), g->aad, testing::FarDeadline());
  if (!s32.ok() || !s4300.ok()) return false;
  g->sealed_32 = s32.value();
  g->sealed_4300 = s4300.value();
  return true;
}

}  // namespace
}  // namespace xks::pkcs11

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  xks::pkcs11::Fixture fixture;
  xks::pkcs11::g = &fixture;
  if (!xks::pkcs11::SetUp()) {
    std::fprintf(stderr, "benchmark setup failed\n");
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Clients and sessions go before the module, the module before the sandbox.
  fixture.client.reset();
  fixture.copy_client.reset();
  fixture.module.reset();
  fixture.sandbox.reset();
  return 0;
}
