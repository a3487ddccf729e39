#include "tests/conformance/reference_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace xks::conformance::testing {
namespace {

using nlohmann::json;

struct CtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

struct Key {
  std::string material;  // 32 bytes
  bool can_encrypt = true;
  bool can_decrypt = true;
  bool enabled = true;
};

struct Tenant {
  std::string prefix;
  std::string access_key_id;
  std::string secret;
  std::map<std::string, Key> keys;
};

struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined with ','
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string HexOf(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string Sha256Raw(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

std::string Sha256HexOf(const std::string& data) {
  std::string raw = Sha256Raw(data);
  return HexOf(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string RandomString(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n));
  return s;
}

// Base64 via OpenSSL's block codec, fenced by an explicit strictness check (EVP_DecodeBlock alone
// tolerates whitespace and never reports the padding length).
std::optional<std::string> B64Decode(const std::string& in, bool lax) {
  std::string text = in;
  if (lax) {
    std::replace(text.begin(), text.end(), '-', '+');
    std::replace(text.begin(), text.end(), '_', '/');
    while (text.size() % 4 != 0) text += '=';
  }
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;
      ++pad;
      continue;
    }
    if (pad > 0 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  if (text.empty()) return std::string();
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string B64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Response Error(int status, const std::string& name, const std::string& message) {
  return Response{status, json{{"errorName", name}, {"errorMessage", message}}.dump()};
}

std::optional<std::string> Seal(const std::string& key, const std::string& iv,
                                const std::string& aad, const std::string& pt, std::string& tag) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string ct(pt.size(), '\0');
  int len = 0;
  tag.assign(16, '\0');
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(iv)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &len, u(pt),
                        static_cast<int>(pt.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data()) != 1) {
    return std::nullopt;
  }
  return ct;
}

std::optional<std::string> Open(const std::string& key, const std::string& iv,
                                const std::string& aad, const std::string& ct, std::string tag) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string pt(ct.size(), '\0');
  int len = 0;
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(iv)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()), &len, u(ct),
                        static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    return std::nullopt;
  }
  return pt;
}

// SigV4 canonical URI: the received path percent-encoded once (unreserved and '/' kept).
std::string CanonicalUri(const std::string& path) {
  std::string out;
  char buf[4];
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("-._~/", c) != nullptr) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Parsed "AWS4-HMAC-SHA256 Credential=AK/DAY/REGION/SERVICE/aws4_request, SignedHeaders=..,
// Signature=..". Hand-parsed: std::regex trips GCC 12 warnings under the sanitizers.
struct AuthHeader {
  std::string access_key_id, day, region, service, signed_headers, signature;
};

std::optional<AuthHeader> ParseAuthorization(const std::string& v) {
  const std::string kAlgo = "AWS4-HMAC-SHA256 ";
  if (v.rfind(kAlgo, 0) != 0) return std::nullopt;
  std::map<std::string, std::string> parts;
  size_t pos = kAlgo.size();
  while (pos < v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(' '));
    size_t eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    parts[item.substr(0, eq)] = item.substr(eq + 1);
    pos = comma + 1;
  }
  if (!parts.count("Credential") || !parts.count("SignedHeaders") || !parts.count("Signature")) {
    return std::nullopt;
  }
  AuthHeader a;
  std::vector<std::string> scope;
  std::string cred = parts["Credential"];
  for (size_t b = 0;;) {
    size_t e = cred.find('/', b);
    scope.push_back(cred.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[1].size() != 8) return std::nullopt;
  a.access_key_id = scope[0];
  a.day = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  a.signed_headers = parts["SignedHeaders"];
  a.signature = parts["Signature"];
  if (a.signature.size() != 64) return std::nullopt;
  return a;
}

bool LooksLikeUuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

bool ValidKeyId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

std::optional<std::time_t> ParseAmzDate(const std::string& v) {
  std::tm tm{};
  if (v.size() != 16 || v[8] != 'T' || v[15] != 'Z') return std::nullopt;
  if (std::sscanf(v.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

}  // namespace

struct ReferenceServer::Impl {
  ReferenceServerOptions options;
  std::unique_ptr<SSL_CTX, CtxFree> ssl_ctx;
  std::vector<Tenant> tenants;
  const Misbehaviour& m() const { return options.misbehaviour; }

  std::string TenantFor(const Request& r, const Tenant*& tenant, std::string& rest) const {
    for (const Tenant& t : tenants) {
      std::string base = t.prefix + "/kms/xks/v1/";
      if (r.target.rfind(base, 0) == 0) {
        tenant = &t;
        rest = r.target.substr(base.size());
        return "";
      }
    }
    return "no tenant for this path prefix";
  }

  // SigV4 (Appendix A) against the tenant's credentials; "" when the request is authentic.
  std::string Authenticate(const Request& r, const Tenant& t) const {
    auto find = [&](const std::string& n) -> std::optional<std::string> {
      auto it = r.headers.find(n);
      if (it == r.headers.end()) return std::nullopt;
      return it->second;
    };
    auto auth = find("authorization");
    auto date = find("x-amz-date");
    if (!auth) return "missing Authorization";
    if (!date) return "missing X-Amz-Date";
    auto parsed = ParseAuthorization(*auth);
    if (!parsed) return "malformed Authorization";
    const std::string ak = parsed->access_key_id, day = parsed->day, region = parsed->region,
                      service = parsed->service, signed_headers = parsed->signed_headers,
                      signature = parsed->signature;
    if (ak != t.access_key_id) return "unknown access key id";
    if (service != "kms-xks-proxy") return "wrong service";
    if (date->substr(0, 8) != day) return "scope date mismatch";
    auto when = ParseAmzDate(*date);
    if (!when) return "bad X-Amz-Date";
    if (!m().no_clock_skew_check && std::abs(std::time(nullptr) - *when) > 300) {
      return "request time outside 5 minutes";
    }
    std::vector<std::string> names;
    size_t start = 0;
    while (start <= signed_headers.size()) {
      size_t e = signed_headers.find(';', start);
      if (e == std::string::npos) e = signed_headers.size();
      names.push_back(signed_headers.substr(start, e - start));
      start = e + 1;
    }
    if (std::find(names.begin(), names.end(), "host") == names.end() ||
        std::find(names.begin(), names.end(), "x-amz-date") == names.end()) {
      return "host and x-amz-date must be signed";
    }
    std::string canonical = r.method + "\n" + CanonicalUri(r.target) + "\n\n";
    for (const auto& n : names) {
      auto v = find(n);
      if (!v) return "signed header missing: " + n;
      canonical += n + ":" + *v + "\n";
    }
    canonical += "\n" + signed_headers + "\n" + Sha256HexOf(r.body);
    std::string sts = "AWS4-HMAC-SHA256\n" + *date + "\n" + day + "/" + region + "/" + service +
                      "/aws4_request\n" + Sha256HexOf(canonical);
    std::string k = Hmac("AWS4" + t.secret, day);
    k = Hmac(Hmac(Hmac(k, region), service), "aws4_request");
    std::string mac = Hmac(k, sts);
    std::string expected = HexOf(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
    if (m().accept_bad_signature) return "";
    if (CRYPTO_memcmp(expected.data(), signature.data(), 64) != 0) return "signature mismatch";
    return "";
  }

  int NotFoundStatus() const { return m().not_found_as_400 ? 400 : 404; }

  const Key* FindKey(const Tenant& t, const std::string& id) const {
    if (auto it = t.keys.find(id); it != t.keys.end()) return &it->second;
    if (m().cross_tenant_keys) {
      for (const Tenant& o : tenants) {
        if (auto it = o.keys.find(id); it != o.keys.end()) return &it->second;
      }
    }
    return nullptr;
  }

  // Checks requestMetadata and unknown fields. "" when fine.
  std::string CheckEnvelope(const json& body, const std::set<std::string>& allowed,
                            bool metadata_required) const {
    if (!body.is_object()) return "body is not a JSON object";
    auto md = body.find("requestMetadata");
    if (md == body.end()) return metadata_required ? "requestMetadata is required" : "";
    if (!md->is_object()) return "requestMetadata must be an object";
    if (md->contains("kmsRequestId") && m().require_uuid_request_id) {
      const json& id = (*md)["kmsRequestId"];
      if (!id.is_string() || !LooksLikeUuid(id.get<std::string>())) {
        return "kmsRequestId is not a UUID";
      }
    }
    if (m().arn_limit_1024) {
      for (auto it = md->begin(); it != md->end(); ++it) {
        if (it->is_string() && it->get<std::string>().size() > 1024) return "field too long";
      }
    }
    if (m().reject_unknown_fields) {
      static const std::set<std::string> kMeta = {
          "awsPrincipalArn", "awsSourceVpc", "awsSourceVpce", "kmsKeyArn",
          "kmsOperation",    "kmsRequestId", "kmsViaService"};
      for (auto it = md->begin(); it != md->end(); ++it) {
        if (!kMeta.count(it.key())) return "unknown field " + it.key();
      }
      for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() != "requestMetadata" && !allowed.count(it.key())) {
          return "unknown field " + it.key();
        }
      }
    }
    return "";
  }

  // A Base64 field: absent -> nullopt with ok; present but bad -> error text.
  std::string Field(const json& body, const char* name, bool required,
                    std::optional<std::string>& out) const {
    auto it = body.find(name);
    if (it == body.end()) return required ? std::string(name) + " is required" : "";
    if (!it->is_string()) return std::string(name) + " must be a string";
    out = B64Decode(it->get<std::string>(), m().lax_base64);
    if (!out) return std::string(name) + " is not valid Base64";
    return "";
  }

  std::string GcmAad(const std::optional<std::string>& aad,
                     const std::optional<std::string>& cm) const {
    std::string a = aad.value_or("");
    std::string c = m().ignore_ciphertext_metadata ? "" : cm.value_or("");
    if (m().aad_without_lengths) return a + c;
    std::string out;
    out += static_cast<char>((a.size() >> 8) & 0xFF);
    out += static_cast<char>(a.size() & 0xFF);
    out += a;
    out += static_cast<char>(c.size());
    out += c;
    return out;
  }

  Response Health(const json& body) const {
    if (auto e = CheckEnvelope(body, {}, false); !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    json r{{"xksProxyFleetSize", m().fleet_size_zero ? 0 : 1},
           {"xksProxyVendor", "xks-hsm-proxy tests"},
           {"xksProxyModel", "ReferenceServer 1.0"},
           {"ekmVendor", "OpenSSL"},
           {"ekmFleetDetails",
            json::array({{{"id", "ekm-1"},
                          {"model", "in-memory"},
                          {"healthStatus", m().lowercase_health_status ? "active" : "ACTIVE"}}})}};
    if (m().health_missing_ekm_vendor) r.erase("ekmVendor");
    return Response{200, r.dump()};
  }

  Response Metadata(const json& body, const Key& key) const {
    if (auto e = CheckEnvelope(body, {}, true); !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    json usage = json::array();
    if (key.can_encrypt) usage.push_back("ENCRYPT");
    if (key.can_decrypt) usage.push_back("DECRYPT");
    return Response{200, json{{"keySpec", "AES_256"},
                              {"keyUsage", usage},
                              {"keyStatus", key.enabled ? "ENABLED" : "DISABLED"}}
                             .dump()};
  }

  Response Encrypt(const json& body, const Key& key) const {
    if (auto e = CheckEnvelope(body,
                               {"plaintext", "additionalAuthenticatedData", "encryptionAlgorithm",
                                "ciphertextDataIntegrityValueAlgorithm"},
                               true);
        !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    std::optional<std::string> pt, aad;
    if (auto e = Field(body, "plaintext", true, pt); !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    if (auto e = Field(body, "additionalAuthenticatedData", false, aad); !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    if (!body.contains("encryptionAlgorithm") || body["encryptionAlgorithm"] != "AES_GCM") {
      return Error(400, "ValidationException", "encryptionAlgorithm must be AES_GCM");
    }
    const bool cdiv = body.contains("ciphertextDataIntegrityValueAlgorithm");
    if (cdiv && body["ciphertextDataIntegrityValueAlgorithm"] != "SHA_256") {
      return Error(400, "ValidationException", "unsupported CDIV algorithm");
    }
    const size_t max_pt = m().plaintext_limit_4096 ? 4096 : 4300;
    const size_t max_aad = m().aad_limit_4096 ? 4096 : 8192;
    if (m().delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(m().delay_ms));
    if (pt->size() > max_pt || aad.value_or("").size() > max_aad) {
      return Error(400, "ValidationException", "input too large");
    }
    if (!key.enabled) return Error(400, "InvalidStateException", "key is disabled");
    if (!key.can_encrypt && !m().ignore_key_usage) {
      return Error(400, "InvalidKeyUsageException", "key cannot encrypt");
    }
    std::string iv = m().reused_iv ? std::string(12, '\0') : RandomString(12);
    std::string cm = m().oversize_ciphertext_metadata ? std::string(21, 'v') : "xks1";
    std::string tag;
    auto ct = Seal(key.material, iv, GcmAad(aad, cm), *pt, tag);
    if (!ct) return Error(500, "InternalException", "encryption failed");
    json r{{"ciphertext", B64Encode(*ct)},
           {"ciphertextMetadata", B64Encode(cm)},
           {"initializationVector", B64Encode(iv)},
           {"authenticationTag", B64Encode(tag)}};
    if (cdiv) {
      std::string hashed = (m().cdiv_without_aad ? "" : aad.value_or("")) + cm + iv + *ct + tag;
      r["ciphertextDataIntegrityValue"] = B64Encode(Sha256Raw(hashed));
    }
    return Response{200, r.dump()};
  }

  Response Decrypt(const json& body, const Key& key) const {
    if (auto e = CheckEnvelope(
            body,
            {"ciphertext", "ciphertextMetadata", "encryptionAlgorithm",
             "additionalAuthenticatedData", "authenticationTag", "initializationVector"},
            true);
        !e.empty()) {
      return Error(400, "ValidationException", e);
    }
    std::optional<std::string> ct, cm, aad, iv, tag;
    for (auto [name, dest, required] :
         {std::tuple{"ciphertext", &ct, true}, std::tuple{"ciphertextMetadata", &cm, false},
          std::tuple{"additionalAuthenticatedData", &aad, false},
          std::tuple{"initializationVector", &iv, true},
          std::tuple{"authenticationTag", &tag, true}}) {
      if (auto e = Field(body, name, required, *dest); !e.empty()) {
        return Error(400, "ValidationException", e);
      }
    }
    if (!body.contains("encryptionAlgorithm") || body["encryptionAlgorithm"] != "AES_GCM") {
      return Error(400, "ValidationException", "encryptionAlgorithm must be AES_GCM");
    }
    if ((iv->size() != 12 && iv->size() != 16) || (iv->size() == 16 && m().reject_16_byte_iv)) {
      return Error(400, "ValidationException", "initializationVector must be 12 or 16 bytes");
    }
    if (tag->size() != 16) return Error(400, "ValidationException", "authenticationTag size");
    if (ct->size() > (m().plaintext_limit_4096 ? 4096u : 4300u) ||
        aad.value_or("").size() > (m().aad_limit_4096 ? 4096u : 8192u)) {
      return Error(400, "ValidationException", "input too large");
    }
    const size_t max_cm = m().oversize_ciphertext_metadata ? 21 : 20;
    if (cm && cm->size() > max_cm) return Error(400, "ValidationException", "metadata too long");
    if (!key.enabled) return Error(400, "InvalidStateException", "key is disabled");
    if (!key.can_decrypt && !m().ignore_key_usage) {
      return Error(400, "InvalidKeyUsageException", "key cannot decrypt");
    }
    auto pt = Open(key.material, *iv, GcmAad(aad, cm), *ct, *tag);
    if (!pt) return Error(400, "InvalidCiphertextException", "authentication failed");
    return Response{200, json{{"plaintext", B64Encode(*pt)}}.dump()};
  }

  Response Handle(const Request& r) const {
    const Tenant* tenant = nullptr;
    std::string rest;
    if (auto e = TenantFor(r, tenant, rest); !e.empty()) {
      return Error(404, "InvalidUriPathException", e);
    }
    std::string op, key_id;
    if (rest == "health") {
      op = "health";
    } else {
      // "keys/<id>/<op>" with nothing before or after.
      const size_t slash = rest.find('/', 5);
      const std::string candidate_op = slash == std::string::npos ? "" : rest.substr(slash + 1);
      if (rest.rfind("keys/", 0) != 0 || slash == std::string::npos ||
          (candidate_op != "metadata" && candidate_op != "encrypt" && candidate_op != "decrypt") ||
          !ValidKeyId(rest.substr(5, slash - 5))) {
        return Error(404, "InvalidUriPathException", "invalid URI path");
      }
      key_id = rest.substr(5, slash - 5);
      op = candidate_op;
    }
    if (r.method == "GET" && m().get_returns_200) return Response{200, "{}"};
    if (r.method != "POST") return Error(405, "ValidationException", "method not allowed");
    if (auto e = Authenticate(r, *tenant); !e.empty()) {
      return Error(401, "AuthenticationFailedException", e);
    }
    json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400, "ValidationException", "body is not a JSON object");
    }
    if (op == "health") return Health(body);
    const Key* key = FindKey(*tenant, key_id);
    if (key == nullptr) return Error(NotFoundStatus(), "KeyNotFoundException", "no such key");
    if (op == "metadata") return Metadata(body, *key);
    if (op == "encrypt") return Encrypt(body, *key);
    return Decrypt(body, *key);
  }
};

namespace {

// Byte transport over a socket, with or without TLS.
class Channel {
 public:
  Channel(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  long Read(char* buf, size_t n) {
    if (ssl_) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      return r > 0 ? r : -1;
    }
    return recv(fd_, buf, n, 0);
  }
  bool Write(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      long n = ssl_ ? SSL_write(ssl_, s.data() + off, static_cast<int>(s.size() - off))
                    : send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
};

bool ReadRequest(Channel& ch, std::string& buffer, Request& req) {
  size_t end;
  char tmp[16384];
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > 65536) return false;
    long n = ch.Read(tmp, sizeof(tmp));
    if (n <= 0) return false;
    buffer.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req = Request{};
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = h.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(h.substr(0, colon));
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    auto [it, inserted] = req.headers.emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  size_t length = 0;
  if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
    length = std::strtoul(it->second.c_str(), nullptr, 10);
  }
  if (length > 1 << 20) return false;
  while (buffer.size() < length) {
    long n = ch.Read(tmp, sizeof(tmp));
    if (n <= 0) return false;
    buffer.append(tmp, static_cast<size_t>(n));
  }
  req.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    default:
      return "Error";
  }
}

}  // namespace

std::unique_ptr<ReferenceServer> ReferenceServer::Start(const ReferenceServerOptions& options,
                                                        std::string& error) {
  signal(SIGPIPE, SIG_IGN);  // TLS writes to a vanished client must not kill the test process
  std::unique_ptr<ReferenceServer> s(new ReferenceServer());
  s->impl_ = std::make_unique<Impl>();
  Impl& impl = *s->impl_;
  impl.options = options;
  auto key = [](bool e, bool d, bool enabled) { return Key{RandomString(32), e, d, enabled}; };
  Tenant one{
      "/tenant-one", "AKIAXKSTENANTONE2345", "tenant-one-secret-0123456789abcdefghijklmnopqr", {}};
  one.keys["key-normal"] = key(true, true, true);
  one.keys["key-encrypt-only"] = key(true, false, true);
  one.keys["key-decrypt-only"] = key(false, true, true);
  one.keys["key-no-usage"] = key(false, false, true);
  one.keys["key-disabled"] = key(true, true, false);
  Tenant two{
      "/tenant-two", "AKIAXKSTENANTTWO2345", "tenant-two-secret-0123456789abcdefghijklmnopqr", {}};
  two.keys["t2-key"] = key(true, true, true);
  impl.tenants = {one, two};

  if (options.tls) {
    impl.ssl_ctx.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = impl.ssl_ctx.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (options.misbehaviour.weak_tls) {
      SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = "cannot load server certificate";
      return nullptr;
    }
    if (!options.client_ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
        error = "cannot load client CA";
        return nullptr;
      }
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one_opt = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one_opt, sizeof(one_opt));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s->listen_fd_, 64) != 0) {
    error = "cannot bind 127.0.0.1:0";
    return nullptr;
  }
  socklen_t len = sizeof(addr);
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->accept_thread_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

ReferenceServer::~ReferenceServer() {
  stopping_ = true;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Wake connection threads blocked in reads; they close their own descriptors.
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void ReferenceServer::AcceptLoop() {
  while (!stopping_) {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ReferenceServer::Serve(int fd) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::unique_ptr<SSL, SslFree> ssl;
  bool ok = true;
  if (impl_->ssl_ctx) {
    ssl.reset(SSL_new(impl_->ssl_ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    ok = SSL_accept(ssl.get()) == 1;
    ERR_clear_error();
  }
  Channel ch(fd, ssl.get());
  std::string buffer;
  Request req;
  while (ok && !stopping_ && ReadRequest(ch, buffer, req)) {
    Response resp = impl_->Handle(req);
    const bool close_after =
        impl_->m().close_after_response || Lower(req.headers["connection"]) == "close";
    std::string wire = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) +
                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(resp.body.size()) + "\r\n" +
                       (close_after ? "Connection: close\r\n" : "") + "\r\n" + resp.body;
    if (!ch.Write(wire) || close_after) break;
  }
  if (ssl) SSL_shutdown(ssl.get());
  ERR_clear_error();
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  close(fd);
}

Config ReferenceServer::MakeConfig() const {
  Config c;
  c.tls = impl_->options.tls;
  c.endpoint = std::string(c.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  c.host = "127.0.0.1";
  c.port = port_;
  const Tenant& one = impl_->tenants[0];
  const Tenant& two = impl_->tenants[1];
  c.tenant = TenantConfig{one.prefix, one.access_key_id, one.secret, "key-normal"};
  c.encrypt_only_key_id = "key-encrypt-only";
  c.decrypt_only_key_id = "key-decrypt-only";
  c.no_usage_key_id = "key-no-usage";
  c.disabled_key_id = "key-disabled";
  c.tenant2 = TenantConfig{two.prefix, two.access_key_id, two.secret, "t2-key"};
  c.latency_samples = 3;
  c.keepalive_requests = 10;
  return c;
}

bool WriteSelfSignedCert(const std::string& common_name, const std::string& cert_file,
                         const std::string& key_file) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, X509Free> x509(X509_new());
  if (!pkey || !x509) return false;
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 86400);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x509.get(), x509.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + common_name;
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) return false;
    X509_add_ext(x509.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x509.get(), pkey.get(), EVP_sha256()) == 0) return false;
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new_file(cert_file.c_str(), "w"));
  std::unique_ptr<BIO, BioFree> key_bio(BIO_new_file(key_file.c_str(), "w"));
  if (!cert_bio || !key_bio) return false;
  return PEM_write_bio_X509(cert_bio.get(), x509.get()) == 1 &&
         PEM_write_bio_PrivateKey(key_bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr) == 1;
}

}  // namespace xks::conformance::testing
