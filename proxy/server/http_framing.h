#pragma once
// The checks a request header must pass before the server reads its body: message framing
// (RFC 9112 sections 3.2, 6.1, 6.3) and the Expect field (RFC 9110 section 10.1.1). Beast accepts
// what these refuse, e.g. `Transfer-Encoding: identity` (read as "no body", so a body becomes
// the next request: a smuggled request) or `Content-Length: 5, 5`. Pure functions on the parsed
// header; no Beast here, so they are testable and cheap to compile.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "proxy/common/http_message.h"

namespace xks::server {

/// How the body of an accepted request is delimited.
struct RequestFraming {
  bool chunked = false;                         ///< Transfer-Encoding: chunked
  std::optional<std::uint64_t> content_length;  ///< absent: no body (unless chunked)
  /// `Expect: 100-continue` on HTTP/1.1: the client may wait for "100 Continue" before the body.
  bool expects_continue = false;
};

/// Why a header was refused: the status to answer (400, or 417 for an unsupported Expect) and a
/// message for the ValidationException body. The connection is closed after the answer: its
/// framing cannot be trusted to find the next request.
struct FramingRefusal {
  int status = 400;
  std::string message;
  /// The declared Content-Length is no guide to what the client still sends (Transfer-Encoding
  /// was present, the length itself is bad, or the client may withhold the body it announced
  /// with Expect): discard input until the client falls silent, not up to a length.
  bool drain_by_silence = false;
};

/// Accepts exactly: at most one Content-Length, a plain decimal; or Transfer-Encoding exactly
/// `chunked` (one field, one coding, HTTP/1.1, no Content-Length); exactly one Host on HTTP/1.1
/// (at most one on HTTP/1.0); no Expect, or `Expect: 100-continue`. `version` is 10 or 11.
/// Thread-safe.
Result<RequestFraming, FramingRefusal> CheckRequestFraming(int version,
                                                           const std::vector<HttpHeader>& headers);

/// Content-Length, Transfer-Encoding, Connection, Keep-Alive: the fields a response's framing
/// consists of, which the server sets itself from how it writes the response. Thread-safe.
bool IsFramingField(std::string_view name);

/// What the bytes buffered for a request header hold so far. The header ends at its first empty
/// line (CRLF, or a bare LF that the parser then refuses).
enum class RawHeader { kIncomplete, kComplete, kTooLarge, kObsFold };

/// Scans a request header's raw bytes before Beast parses them, because Beast applies its size
/// limit to each read rather than to the whole header (a header sent in small pieces got past a
/// 16 KiB limit at 4 MB), and replaces obs-fold (a line continuing the previous field value by
/// starting with SP or HTAB) with a space without telling: RFC 9112 section 5.2 allows that or a
/// 400, and only the 400 leaves no room for a front end that reads the folded field otherwise.
/// kTooLarge: the header does not end within `limit` bytes. `resume` (0 for a new header) is
/// where the next call picks up, so a header trickled in byte by byte is scanned once.
/// Thread-safe.
RawHeader ScanRawHeader(std::string_view bytes, std::size_t& resume, std::size_t limit);

/// What a refused request's client still has to send of its body: the Content-Length value (one
/// decimal number) less the `buffered` bytes already read; nullopt when the value is not one.
std::optional<std::uint64_t> RemainingBodyBytes(std::string_view content_length,
                                                std::size_t buffered);

}  // namespace xks::server
