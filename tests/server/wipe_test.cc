// The server wipes what it held of plaintext: the read buffer each request was parsed from, and a
// response body marked sensitive_body once it is written (ServerOptions::after_wipe sees each
// buffer right after its wipe). Waits are on observable state (a condition variable).

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "tests/server/server_fixture.h"

namespace xks::server {
namespace {

// What after_wipe saw: each storage's size and whether any byte was left non-zero.
class WipeLog {
 public:
  std::function<void(std::string_view)> Observer() {
    return [this](std::string_view storage) {
      std::lock_guard lock(mutex_);
      sizes_.push_back(storage.size());
      all_zero_ = all_zero_ &&
                  std::all_of(storage.begin(), storage.end(), [](char c) { return c == '\0'; });
      cv_.notify_all();
    };
  }
  // The sizes seen once there are `count` of them.
  std::vector<std::size_t> AwaitCount(std::size_t count) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return sizes_.size() >= count; });
    return sizes_;
  }
  bool all_zero() {
    std::lock_guard lock(mutex_);
    return all_zero_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::size_t> sizes_;
  bool all_zero_ = true;
};

HttpResponse EchoMaybeSensitive(const HttpRequest& request) {
  HttpResponse response = Echo(request);
  response.sensitive_body = request.Header("X-Sensitive") == "1";
  return response;
}

TEST_F(ServerTest, ReadBufferAndSensitiveResponseBodiesAreWipedAfterUse) {
  WipeLog wipes;
  ServerOptions options = Options(ec_server_);
  options.after_wipe = wipes.Observer();
  StartServer(options, EchoMaybeSensitive);
  auto client = Connect(Client());
  ASSERT_TRUE(client);
  // Longer than any small-string buffer, so the body lives in storage of its own.
  const std::string plaintext(300, 'P');

  auto plain = client->Request("POST", "/echo", plaintext);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, plaintext);
  // One wipe: the read buffer (it held the whole request, body included).
  auto sizes = wipes.AwaitCount(1);
  EXPECT_GE(sizes[0], plaintext.size());

  auto sensitive = client->Request("POST", "/echo", plaintext, "X-Sensitive: 1\r\n");
  ASSERT_TRUE(sensitive);
  EXPECT_EQ(sensitive->body, plaintext) << "wiped only after it was written";
  // The read buffer again, then the written body (its storage is at least the body).
  sizes = wipes.AwaitCount(3);
  EXPECT_GE(sizes[2], plaintext.size());
  EXPECT_TRUE(wipes.all_zero()) << "every wiped buffer is all zeros";

  // A third, non-sensitive request adds only its read-buffer wipe.
  ASSERT_TRUE(client->Request("POST", "/echo", "x"));
  EXPECT_EQ(wipes.AwaitCount(4).size(), 4u);
}

}  // namespace
}  // namespace xks::server
