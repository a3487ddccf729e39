#include "conformance/sigv4_signer.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "base/bytes.h"
#include "base/hex.h"
#include "base/sha256.h"

namespace xks::conformance {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// SigV4 canonical header values: trim both ends and collapse inner whitespace runs to one space.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// RFC 3986 percent-encoding of everything but unreserved characters and '/', as SigV4 (non-S3)
// canonicalizes the path that was sent. Identity for every well-formed XKS path.
std::string EncodePath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      AppendHexByte(out, c, /*upper=*/true);
    }
  }
  return out;
}

std::vector<std::string> SortedSigned(const SigningInput& in) {
  std::vector<std::string> names;
  for (const auto& n : in.signed_headers) names.push_back(Lower(n));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string Scope(const SigningKey& key, std::string_view amz_date) {
  return std::string(amz_date.substr(0, 8)) + "/" + key.region + "/" + key.service +
         "/aws4_request";
}

}  // namespace

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalRequest(const SigningInput& in) {
  std::vector<std::string> names = SortedSigned(in);
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : in.headers) {
    std::string n = Lower(name);
    auto it = values.find(n);
    if (it == values.end()) {
      values.emplace(n, TrimAll(value));
    } else {
      it->second += ',';  // appended: GCC 12 -O3 misreads "," + std::string (false warning)
      it->second += TrimAll(value);
    }
  }
  std::string out = in.method + "\n" + EncodePath(in.path) + "\n" + in.query + "\n";
  std::string joined;
  for (const auto& n : names) {
    out += n + ":" + values[n] + "\n";
    if (!joined.empty()) joined += ';';
    joined += n;
  }
  out += "\n" + joined + "\n" + Sha256Hex(in.payload);
  return out;
}

std::string StringToSign(const SigningInput& in, const SigningKey& key, std::string_view amz_date) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + Scope(key, amz_date) + "\n" +
         Sha256Hex(CanonicalRequest(in));
}

std::string Signature(const SigningInput& in, const SigningKey& key, std::string_view amz_date) {
  Sha256Digest k = HmacSha256(AsBytes("AWS4" + key.secret_access_key), amz_date.substr(0, 8));
  k = HmacSha256(k, key.region);
  k = HmacSha256(k, key.service);
  k = HmacSha256(k, "aws4_request");
  return HexEncode(HmacSha256(k, StringToSign(in, key, amz_date)));
}

std::string AuthorizationHeader(const SigningInput& in, const SigningKey& key,
                                std::string_view amz_date) {
  std::string joined;
  for (const auto& n : SortedSigned(in)) {
    if (!joined.empty()) joined += ';';
    joined += n;
  }
  return "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" + Scope(key, amz_date) +
         ", SignedHeaders=" + joined + ", Signature=" + Signature(in, key, amz_date);
}

}  // namespace xks::conformance
