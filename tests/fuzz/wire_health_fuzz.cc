// The GetHealthStatus body (requestMetadata without a key ARN) through the body stage of proxy/api
// (wire_fuzz.h).

#include "tests/fuzz/wire_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xks::fuzz::FuzzWireBody(xks::api::Operation::kGetHealthStatus, data, size);
  return 0;
}
