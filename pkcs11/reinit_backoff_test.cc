#include "pkcs11/reinit_backoff.h"

#include <gtest/gtest.h>

namespace xks::pkcs11 {
namespace {

class ReinitBackoffTest : public ::testing::Test {
 protected:
  ReinitBackoff::Clock::time_point now_{};
  ReinitBackoff backoff_{[this] { return now_; }};
  void Advance(std::chrono::milliseconds d) { now_ += d; }
};

TEST_F(ReinitBackoffTest, APersistentFaultWaitsLongerEachTimeUpToTheMaximum) {
  EXPECT_TRUE(backoff_.MayReinitialize());  // the first fault: at once
  EXPECT_FALSE(backoff_.MayReinitialize());
  Advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(backoff_.MayReinitialize());
  Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(backoff_.MayReinitialize());  // after 1 s; the next after 2 s
  Advance(std::chrono::milliseconds(1999));
  EXPECT_FALSE(backoff_.MayReinitialize());
  Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(backoff_.MayReinitialize());
  for (int i = 0; i < 10; ++i) {
    Advance(ReinitBackoff::kMaxDelay);
    EXPECT_TRUE(backoff_.MayReinitialize());
  }
  Advance(ReinitBackoff::kMaxDelay - std::chrono::milliseconds(1));
  EXPECT_FALSE(backoff_.MayReinitialize()) << "the delay stops growing at the maximum";
}

TEST_F(ReinitBackoffTest, ASuccessEndsTheBackoff) {
  EXPECT_TRUE(backoff_.MayReinitialize());
  EXPECT_FALSE(backoff_.MayReinitialize());
  backoff_.NoteSuccess();
  EXPECT_TRUE(backoff_.MayReinitialize());  // a new fault, cured or not: at once again
  backoff_.NoteSuccess();
  backoff_.NoteSuccess();  // nothing pending: cheap and harmless
  EXPECT_TRUE(backoff_.MayReinitialize());
}

}  // namespace
}  // namespace xks::pkcs11
