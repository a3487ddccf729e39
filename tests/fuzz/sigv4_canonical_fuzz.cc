// The SigV4 canonical-request builder (proxy/auth/sigv4_canonical.h) over an attacker's request:
// the input is "METHOD\nTARGET\nsigned;headers\nname:value\n..." (the shape of the AWS suite's
// .req files). Properties: percent-encoding round-trips, path normalisation is idempotent and
// stays absolute, X-Amz-Date parsing round-trips, and the canonical request has its six lines
// plus one per signed header.

#include <algorithm>

#include "proxy/auth/sigv4_canonical.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::vector<std::string> SignedHeaderNames(std::string_view line) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= line.size()) {
    std::size_t end = std::min(line.find(';', start), line.size());
    std::string name = xks::auth::AsciiLower(line.substr(start, end - start));
    // The verifier only builds a canonical request for a parsed (clean) SignedHeaders list.
    if (!name.empty() && name.find_first_of(":\n") == std::string::npos) names.push_back(name);
    start = end + 1;
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void CheckEncodings(std::string_view target) {
  using namespace xks::auth;
  XKS_FUZZ_CHECK(UriDecode(UriEncode(target, false)) == target);
  const SplitTarget split = SplitRequestTarget(target);
  const std::string normal = NormalizePath(split.path);
  XKS_FUZZ_CHECK(!normal.empty() && normal[0] == '/');
  XKS_FUZZ_CHECK(NormalizePath(normal) == normal);
  (void)CanonicalQueryString(split.query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xks::auth;
  const std::vector<std::string_view> lines = xks::fuzz::SplitLines(xks::fuzz::AsText(data, size));
  if (lines.size() < 3) return 0;
  std::vector<xks::HttpHeader> headers;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    headers.push_back(
        {std::string(lines[i].substr(0, colon)), std::string(lines[i].substr(colon + 1))});
    // system_clock counts nanoseconds (years 1678..2261) while X-Amz-Date spans 0000..9999, so
    // the round trip through FormatAmzDate's time_point only holds within that range (the
    // verifier itself compares in seconds).
    constexpr std::chrono::seconds kNanosecondClockRange{std::int64_t{9'000'000'000}};
    auto t = ParseAmzDate(headers.back().value);
    if (t && std::chrono::abs(t->time_since_epoch()) < kNanosecondClockRange) {
      XKS_FUZZ_CHECK(ParseAmzDate(FormatAmzDate(*t)) == t);
    }
  }
  CheckEncodings(lines[1]);
  const std::vector<std::string> names = SignedHeaderNames(lines[2]);
  const std::string payload_hash = xks::Sha256Hex("");
  for (bool normalize : {true, false}) {
    const std::string canonical =
        CanonicalRequest(lines[0], lines[1], headers, names, payload_hash, normalize);
    const std::size_t newlines = std::count(canonical.begin(), canonical.end(), '\n');
    // METHOD, URI, query, one line per header, the empty line, SignedHeaders: the method and
    // target are the only lines that may carry their own newline-free bytes verbatim.
    XKS_FUZZ_CHECK(newlines == 5 + names.size());
  }
  return 0;
}
