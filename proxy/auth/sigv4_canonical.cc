#include "proxy/auth/sigv4_canonical.h"

#include <algorithm>
#include <utility>

namespace xks::auth {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string UriEncode(std::string_view raw, bool keep_slash) {
  std::string out;
  out.reserve(raw.size());
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      AppendHexByte(out, c, /*upper=*/true);
    }
  }
  return out;
}

std::string UriDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int hi = HexDigitValue(encoded[i + 1]);
      const int lo = HexDigitValue(encoded[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(encoded[i]);
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view segment = path.substr(pos, slash - pos);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    pos = slash + 1;
  }
  std::string out;
  for (const auto& segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  // A trailing slash names a different resource for most services, so it survives normalisation
  // (botocore and aws-c-auth agree: "//example//" -> "/example/").
  if (!path.empty() && path.back() == '/' && !segments.empty()) out.push_back('/');
  if (out.empty()) out.push_back('/');
  return out;
}

std::string CanonicalUri(std::string_view raw_path, bool normalize) {
  if (raw_path.empty()) return "/";
  if (!normalize) return UriEncode(raw_path, /*keep_slash=*/true);
  return UriEncode(NormalizePath(raw_path), /*keep_slash=*/true);
}

std::string CanonicalQueryString(std::string_view raw_query) {
  if (raw_query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    const std::string_view param = raw_query.substr(pos, amp - pos);
    if (!param.empty()) {
      const std::size_t eq = param.find('=');
      const std::string_view name = param.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
      params.emplace_back(UriEncode(UriDecode(name), false), UriEncode(UriDecode(value), false));
    }
    pos = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

SplitTarget SplitRequestTarget(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string CanonicalRequest(std::string_view method, std::string_view target,
                             const std::vector<HttpHeader>& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash, bool normalize_path) {
  const SplitTarget split = SplitRequestTarget(target);
  std::string out;
  out.reserve(256 + target.size() + payload_hash.size());
  out.append(method);
  out.push_back('\n');
  out.append(CanonicalUri(split.path, normalize_path));
  out.push_back('\n');
  out.append(CanonicalQueryString(split.query));
  out.push_back('\n');
  for (const auto& name : signed_headers) {
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const auto& header : headers) {
      if (!HeaderNameEquals(header.name, name)) continue;
      if (!first) out.push_back(',');
      out.append(CanonicalHeaderValue(header.value));
      first = false;
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i != 0) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + kSigV4Terminator.size() + 3);
  out.append(date).append("/").append(region).append("/").append(service).append("/");
  out.append(kSigV4Terminator);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view credential_scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kSigV4Algorithm.size() + amz_date.size() + credential_scope.size() + 64 + 3);
  out.append(kSigV4Algorithm).append("\n").append(amz_date).append("\n");
  out.append(credential_scope).append("\n").append(Sha256Hex(canonical_request));
  return out;
}

SecretBytes DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  SecretBytes k_secret(4 + secret.size());
  std::copy_n("AWS4", 4, k_secret.data());
  std::copy(secret.begin(), secret.end(), k_secret.data() + 4);
  // Each intermediate key is wiped as soon as the next one exists.
  Sha256Digest k = HmacSha256(k_secret.span(), date);
  for (std::string_view part : {region, service, kSigV4Terminator}) {
    Sha256Digest next = HmacSha256(k, part);
    k = next;
    OPENSSL_cleanse(next.data(), next.size());
  }
  SecretBytes out(std::span<const std::uint8_t>(k.data(), k.size()));
  OPENSSL_cleanse(k.data(), k.size());
  return out;
}

std::optional<std::chrono::sys_seconds> ParseAmzDate(std::string_view value) {
  if (value.size() != 16 || value[8] != 'T' || value[15] != 'Z') return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t len) -> int {
    int n = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (value[i] < '0' || value[i] > '9') return -1;
      n = n * 10 + (value[i] - '0');
    }
    return n;
  };
  const int year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const int hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss<std::chrono::seconds> hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

Sha256Digest ComputeSignature(std::span<const std::uint8_t> signing_key,
                              std::string_view string_to_sign) {
  return HmacSha256(signing_key, string_to_sign);
}

}  // namespace xks::auth
