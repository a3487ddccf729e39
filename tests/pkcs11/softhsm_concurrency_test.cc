// Many threads on the PKCS#11 layer at once (SoftHSMv2): 4 threads x 10,000 mixed operations on
// two tokens (one using token keys, one using session-object copies), every result checked; and
// first uses of keys racing the session-object copy that the first of them makes.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/testing.h"
#include "tests/support/softhsm_sandbox.h"

namespace xks::pkcs11 {
namespace {

using ::xks::testing::FarDeadline;
using ::xks::testing::PatternBytes;
using ::xks::testing::SoftHsmSandbox;

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 10000;

struct Failure {
  std::atomic<int> count{0};
  std::string first;  // written once, by the first failing thread
  void Record(const std::string& what) {
    if (count.fetch_add(1) == 0) first = what;
  }
};

// One worker: encrypt, decrypt the previous result, sometimes tamper or describe.
void Work(TokenClient& client, const std::string& key, int thread, Failure& failure) {
  GcmSealed last;
  std::vector<std::uint8_t> last_plaintext, last_aad;
  bool have_last = false;
  for (int i = 0; i < kOpsPerThread; ++i) {
    const auto seed = static_cast<std::uint32_t>(thread * kOpsPerThread + i);
    if (!have_last || i % 2 == 0) {
      const std::size_t size = (i % 97 == 0) ? 4300 : static_cast<std::size_t>(seed % 64);
      last_plaintext = PatternBytes(size, seed);
      last_aad = PatternBytes(seed % 40, seed + 1);
      auto sealed = client.Encrypt(key, last_plaintext, last_aad, FarDeadline());
      if (!sealed.ok()) return failure.Record("encrypt: " + sealed.error().ToLogString());
      last = std::move(sealed).value();
      have_last = true;
    } else if (i % 501 == 1) {
      GcmSealed tampered = last;
      tampered.tag[0] ^= 1;
      auto r = client.Decrypt(key, tampered.iv, tampered.ciphertext, tampered.tag, last_aad,
                              FarDeadline());
      if (r.ok() || r.error().kind != HsmErrorKind::kBadCiphertext) {
        return failure.Record("tampered ciphertext was not rejected as BadCiphertext");
      }
    } else if (i % 1001 == 3) {
      auto info = client.DescribeKey(key, FarDeadline());
      if (!info.ok() || info->value_len != 32) return failure.Record("describe failed");
    } else {
      auto opened =
          client.Decrypt(key, last.iv, last.ciphertext, last.tag, last_aad, FarDeadline());
      if (!opened.ok()) return failure.Record("decrypt: " + opened.error().ToLogString());
      if (!std::equal(opened->span().begin(), opened->span().end(), last_plaintext.begin(),
                      last_plaintext.end())) {
        return failure.Record("decrypt returned the wrong plaintext");
      }
    }
  }
}

TEST(SoftHsmConcurrencyTest, FourThreadsTenThousandMixedOperationsEach) {
  std::string error;
  auto sandbox = SoftHsmSandbox::Create({"alpha", "beta"}, &error);
  ASSERT_NE(sandbox, nullptr) << error;
  auto module = OpenModule(sandbox->module_config());
  ASSERT_TRUE(module.ok()) << module.error().ToLogString();
  auto alpha = TokenClient::Open(module.value(), sandbox->token_config("alpha", 2));
  TokenConfig beta_config = sandbox->token_config("beta", 2);
  beta_config.copy_keys_to_session_objects = true;
  auto beta = TokenClient::Open(module.value(), beta_config);
  ASSERT_TRUE(alpha.ok() && beta.ok());
  AesKeySpec spec;
  spec.label = "k";
  ASSERT_TRUE(alpha.value()->CreateAesKey(spec, FarDeadline()).ok());
  ASSERT_TRUE(beta.value()->CreateAesKey(spec, FarDeadline()).ok());

  Failure failure;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    TokenClient& client = (t % 2 == 0) ? *alpha.value() : *beta.value();
    threads.emplace_back([&client, t, &failure] { Work(client, "k", t, failure); });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failure.count.load(), 0) << failure.first;
  EXPECT_EQ(ModuleGenerationForTesting(*module.value()), 1u);  // no recovery was needed
}

// With copy_keys_to_session_objects, the first use of a key copies it into a session object while
// other threads may be looking the same label up. SoftHSMv2 fills the copy attribute by attribute
// (CKA_TOKEN=TRUE and the label first, our CKA_TOKEN=FALSE last), so a search that overlapped the
// copy used to see two token keys with one label: "more than one key has this label" (found by
// tools/tsan.sh, whose slowdown widens the window). Here, for each key, one thread makes the first
// use (the copy) while the others keep describing the key (a label search every time).
TEST(SoftHsmConcurrencyTest, SearchesNeverSeeASessionCopyHalfMade) {
  // Each operation re-reads every object file of the token, so the cost grows with the square of
  // the key count; 40 first uses keep it to seconds under ASan and still give tools/tsan.sh (which
  // found the race) 40 windows to hit it.
  constexpr int kKeys = 40;
  std::string error;
  auto sandbox = SoftHsmSandbox::Create({"gamma"}, &error);
  ASSERT_NE(sandbox, nullptr) << error;
  auto module = OpenModule(sandbox->module_config());
  ASSERT_TRUE(module.ok()) << module.error().ToLogString();
  TokenConfig config = sandbox->token_config("gamma", kThreads);
  config.copy_keys_to_session_objects = true;
  auto opened = TokenClient::Open(module.value(), config);
  ASSERT_TRUE(opened.ok()) << opened.error().ToLogString();
  TokenClient& client = *opened.value();
  auto label = [](int k) { return "first-use-" + std::to_string(k); };
  for (int k = 0; k < kKeys; ++k) {
    AesKeySpec spec;
    spec.label = label(k);
    ASSERT_TRUE(client.CreateAesKey(spec, FarDeadline()).ok()) << spec.label;
  }

  Failure failure;
  for (int k = 0; k < kKeys && failure.count.load() == 0; ++k) {
    std::atomic<bool> copied{false};
    std::barrier start_together(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start_together.arrive_and_wait();
        if (t == 0) {
          auto sealed = client.Encrypt(label(k), PatternBytes(32, 1), {}, FarDeadline());
          if (!sealed.ok()) failure.Record("encrypt: " + sealed.error().ToLogString());
          copied = true;
          return;
        }
        do {
          auto info = client.DescribeKey(label(k), FarDeadline());
          if (!info.ok()) failure.Record("describe: " + info.error().ToLogString());
        } while (!copied.load() && failure.count.load() == 0);
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(failure.count.load(), 0) << failure.first;
}

}  // namespace
}  // namespace xks::pkcs11
