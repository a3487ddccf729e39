// WipeConsumed zeroes all but the unparsed bytes of a read buffer; WipeBody zeroes a body to its
// capacity. Both seen through their observer and through the buffers afterwards.

#include "proxy/server/buffer_wipe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <cstring>

#include "proxy/common/http_message.h"

namespace xks::server {
namespace {

void Append(ReadBuffer& buffer, std::string_view bytes) {
  auto out = buffer.prepare(bytes.size());
  std::memcpy(out.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

TEST(BufferWipeTest, ConsumedBytesAreZeroedAndPendingOnesKept) {
  ReadBuffer buffer;
  const std::string_view received =
      "POST /encrypt HTTP/1.1\r\n\r\n{\"plaintext\":\"c2VjcmV0\"}GET /next";
  Append(buffer, received);
  buffer.consume(buffer.size() - 9);  // the parser took the first request
  std::size_t observed = 0;
  bool observed_zero = false;
  WipeConsumed(buffer, [&](std::string_view storage) {
    observed = storage.size();
    observed_zero = AllZero(storage);
  });
  EXPECT_GE(observed, received.size()) << "the whole storage";
  EXPECT_TRUE(observed_zero);
  EXPECT_EQ(boost::beast::buffers_to_string(buffer.data()), "GET /next") << "still to parse";
  // Nothing of the first request is left anywhere in the storage.
  buffer.consume(buffer.size());
  auto storage = buffer.prepare(buffer.capacity());
  const std::string_view all(static_cast<const char*>(storage.data()), storage.size());
  EXPECT_EQ(all.find("c2VjcmV0"), std::string_view::npos);
}

TEST(BufferWipeTest, AnEmptyBufferIsFineWithoutObserver) {
  ReadBuffer buffer;
  WipeConsumed(buffer, {});
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(BufferWipeTest, BodyIsZeroedToItsCapacity) {
  std::string body(200, 'x');
  body.resize(20);  // the first 200 bytes of the storage held plaintext; 20 are in use
  const char* storage = body.data();
  const std::size_t capacity = body.capacity();
  std::string_view seen;
  WipeBody(body, [&](std::string_view s) { seen = s; });
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(seen.data(), storage) << "wiped in place, not reallocated";
  EXPECT_EQ(seen.size(), capacity);
  EXPECT_TRUE(AllZero(seen));
}

TEST(BufferWipeTest, WipeStringAlsoClearsShortStrings) {
  std::string pin = "1234";
  WipeString(pin);
  EXPECT_TRUE(pin.empty());
  EXPECT_TRUE(AllZero({pin.data(), pin.capacity()}));
}

}  // namespace
}  // namespace xks::server
