#include "proxy/server/http_framing.h"

#include <cstdlib>
#include <string>
#include <string_view>

namespace xks::server {
namespace {

std::string_view TrimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// 1*DIGIT without sign, list or overflow (20 digits could exceed 2^64).
std::optional<std::uint64_t> ParseContentLength(std::string_view value) {
  value = TrimOws(value);
  if (value.empty() || value.size() > 19) return std::nullopt;
  std::uint64_t length = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return length;
}

// Transfer codings and expectations are case-insensitive tokens, like header names.
bool TokenEquals(std::string_view a, std::string_view b) { return HeaderNameEquals(a, b); }

Unexpected<FramingRefusal> Refuse(std::string message, bool drain_by_silence, int status = 400) {
  return Fail(FramingRefusal{status, std::move(message), drain_by_silence});
}

}  // namespace

Result<RequestFraming, FramingRefusal> CheckRequestFraming(int version,
                                                           const std::vector<HttpHeader>& headers) {
  std::size_t hosts = 0, lengths = 0, encodings = 0, expects = 0;
  std::string_view length_value, encoding_value, expect_value;
  for (const auto& header : headers) {
    if (HeaderNameEquals(header.name, "Host")) {
      ++hosts;
    } else if (HeaderNameEquals(header.name, "Content-Length")) {
      ++lengths;
      length_value = header.value;
    } else if (HeaderNameEquals(header.name, "Transfer-Encoding")) {
      ++encodings;
      encoding_value = header.value;
    } else if (HeaderNameEquals(header.name, "Expect")) {
      ++expects;
      expect_value = header.value;
    }
  }
  RequestFraming framing;
  if (encodings > 0) {
    if (version != 11) return Refuse("Transfer-Encoding is not allowed in HTTP/1.0", true);
    if (lengths > 0) return Refuse("Transfer-Encoding together with Content-Length", true);
    if (encodings > 1 || !TokenEquals(TrimOws(encoding_value), "chunked")) {
      return Refuse("the only Transfer-Encoding accepted is chunked", true);
    }
    framing.chunked = true;
  }
  if (lengths > 1) return Refuse("Content-Length must be one decimal number", true);
  if (lengths == 1) {
    framing.content_length = ParseContentLength(length_value);
    if (!framing.content_length) return Refuse("Content-Length must be one decimal number", true);
  }

  if (expects > 0) {
    if (expects > 1 || !TokenEquals(TrimOws(expect_value), "100-continue")) {
      return Refuse("the only expectation supported is Expect: 100-continue", true, 417);
    }
    // RFC 9110 section 10.1.1: an HTTP/1.0 client cannot handle 100; ignore the expectation.
    framing.expects_continue = version == 11;
  }
  // Checked last: the refusal can then trust the length to drain (unless the client may withhold
  // the body it announced).
  if (hosts > 1) return Refuse("more than one Host header", expects > 0);
  if (version == 11 && hosts == 0) {
    return Refuse("an HTTP/1.1 request needs a Host header", expects > 0);
  }
  return framing;
}

bool IsFramingField(std::string_view name) {
  return HeaderNameEquals(name, "Content-Length") || HeaderNameEquals(name, "Connection") ||
         HeaderNameEquals(name, "Transfer-Encoding") || HeaderNameEquals(name, "Keep-Alive");
}

RawHeader ScanRawHeader(std::string_view bytes, std::size_t& resume, std::size_t limit) {
  // More bytes are needed: unless the limit is already reached without an end.
  const RawHeader more = bytes.size() >= limit ? RawHeader::kTooLarge : RawHeader::kIncomplete;
  for (std::size_t i = bytes.find('\n', resume); i != std::string_view::npos;
       i = bytes.find('\n', i + 1)) {
    resume = i;  // a line end whose next bytes have not arrived is looked at again
    if (i + 1 >= bytes.size()) return more;
    std::size_t end = 0;
    const char next = bytes[i + 1];
    if (next == ' ' || next == '\t') return RawHeader::kObsFold;
    if (next == '\n') end = i + 2;
    if (next == '\r') {
      if (i + 2 >= bytes.size()) return more;
      if (bytes[i + 2] == '\n') end = i + 3;
    }
    if (end != 0) return end > limit ? RawHeader::kTooLarge : RawHeader::kComplete;
  }
  resume = bytes.size();
  return more;
}

std::optional<std::uint64_t> RemainingBodyBytes(std::string_view content_length,
                                                std::size_t buffered) {
  const std::string value(content_length);
  char* end = nullptr;
  const unsigned long long length = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || end != value.c_str() + value.size()) return std::nullopt;
  return length > buffered ? length - buffered : 0;
}

}  // namespace xks::server
