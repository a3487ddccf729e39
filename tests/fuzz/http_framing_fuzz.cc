// The framing checks a request header must pass before the body is read
// (proxy/server/http_framing.h), on header lists Beast would hand over: the first byte picks
// HTTP/1.0 or 1.1, then one "Name: value" per line. Properties: an accepted framing is
// unambiguous (chunked or a length, never both; chunked only on 1.1), and a refusal is 400 or 417.

#include "proxy/server/http_framing.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int version = (data[0] & 1) != 0 ? 11 : 10;
  std::vector<xks::HttpHeader> headers;
  for (std::string_view line : xks::fuzz::SplitLines(xks::fuzz::AsText(data + 1, size - 1))) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  const auto framing = xks::server::CheckRequestFraming(version, headers);
  if (!framing.ok()) {
    XKS_FUZZ_CHECK(framing.error().status == 400 || framing.error().status == 417);
    XKS_FUZZ_CHECK(!framing.error().message.empty());
    return 0;
  }
  XKS_FUZZ_CHECK(!(framing->chunked && framing->content_length));
  XKS_FUZZ_CHECK(!framing->chunked || version == 11);
  if (framing->expects_continue) XKS_FUZZ_CHECK(version == 11);
  return 0;
}
