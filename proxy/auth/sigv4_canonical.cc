#include "proxy/auth/sigv4_canonical.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

namespace xks::auth {
namespace {

// A missing SHA-256/HMAC implementation means a broken OpenSSL install, not bad input: abort loudly
// rather than let a verifier run on garbage.
[[noreturn]] void CryptoAbort(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MdPtr = std::unique_ptr<EVP_MD, MdDeleter>;
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// Explicit fetches, done once: implicit fetching (EVP_sha256(), HMAC()) looks the algorithm up in
// the provider store on every call, which shows up in a per-request verifier.
const EVP_MD* FetchedSha256() {
  static const MdPtr md = [] {
    MdPtr m(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!m) CryptoAbort("EVP_MD_fetch(SHA256)");
    return m;
  }();
  return md.get();
}

// An HMAC context with the digest already set; each call duplicates it, so the digest name is not
// resolved per call. The template holds no key, so sharing it read-only across threads is safe.
const EVP_MAC_CTX* HmacSha256Template() {
  static const MacCtxPtr tmpl = [] {
    MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) CryptoAbort("EVP_MAC_fetch(HMAC)");
    MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) CryptoAbort("EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) CryptoAbort("EVP_MAC_CTX_set_params");
    return ctx;
  }();
  return tmpl.get();
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, FetchedSha256(), nullptr) != 1 ||
      len != out.size()) {
    CryptoAbort("EVP_Digest(SHA256)");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

Sha256Digest HmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  // HMAC pads short keys with zero bytes, so an empty key and the single byte 0x00 are the same
  // key; passing one byte avoids OpenSSL's "NULL key means keep the previous key" convention.
  static constexpr std::uint8_t kZeroKey[1] = {0};
  if (key.empty()) key = std::span<const std::uint8_t>(kZeroKey, 1);
  MacCtxPtr ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  if (!ctx) CryptoAbort("EVP_MAC_CTX_dup");
  Sha256Digest out{};
  std::size_t len = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    CryptoAbort("HMAC-SHA256");
  }
  return out;
}

std::string HexEncode(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

bool IsLowercaseHex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string UriEncode(std::string_view raw, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int hi = HexValue(encoded[i + 1]);
      const int lo = HexValue(encoded[i + 2]);
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
