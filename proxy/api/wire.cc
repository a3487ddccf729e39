#include "proxy/api/wire.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "base/base64.h"
#include "proxy/common/http_message.h"

namespace xks::api {
namespace {

using nlohmann::json;

Error Validation(std::string message) {
  return MakeError(ErrorName::kValidation, std::move(message));
}

// nlohmann's parser recurses per nesting level; refusing deep documents before parsing keeps a
// hostile body from exhausting the worker's stack.
bool NestingWithin(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// A string field: absent → nullopt with *present=false; wrong type → error.
ProxyResult<const std::string*> StringField(const json& obj, const char* name, bool required,
                                            std::string_view where) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    if (required) return Fail(Validation(std::string(where) + name + ": missing required field"));
    return static_cast<const std::string*>(nullptr);
  }
  if (!it->is_string()) {
    return Fail(Validation(std::string(where) + name + ": must be a string"));
  }
  return &it->get_ref<const std::string&>();
}

// Decodes a Base64 field with size limits checked on the encoded length first, so an oversized
// value is refused before any allocation proportional to it.
template <typename Out>
ProxyResult<Out> DecodeField(const std::string& text, const char* name, std::size_t max_bytes,
                             ErrorName too_large) {
  auto size = Base64DecodedSize(text);
  if (!size) return Fail(Validation(std::string(name) + ": not valid standard Base64 (RFC 4648)"));
  if (*size > max_bytes) {
    return Fail(MakeError(too_large, std::string(name) + ": longer than the supported " +
                                         std::to_string(max_bytes) + " bytes"));
  }
  Out out(*size);
  bool ok;
  if constexpr (std::is_same_v<Out, SecretBytes>) {
    ok = Base64DecodeInto(text, out.mutable_span());
  } else {
    ok = Base64DecodeInto(text, out);
  }
  if (!ok) return Fail(Validation(std::string(name) + ": not valid standard Base64 (RFC 4648)"));
  return out;
}

ProxyResult<void> CheckAlgorithm(const json& body) {
  auto alg = StringField(body, "encryptionAlgorithm", true, "");
  if (!alg.ok()) return Fail(std::move(alg).error());
  if (**alg != "AES_GCM") return Fail(Validation("encryptionAlgorithm: must be AES_GCM"));
  return {};
}

}  // namespace

ProxyResult<json> ParseJsonBody(std::string_view body) {
  // nlohmann's lexer takes a NUL byte for the end of input, so `{...}\0anything` would parse as
  // the object alone. JSON has no place for a raw NUL (inside strings it must be escaped), and
  // the signature covers every byte, so the body is refused rather than read up to the NUL.
  if (body.find('\0') != std::string_view::npos) {
    return Fail(Validation("request body: contains a NUL byte"));
  }
  if (!NestingWithin(body, kMaxJsonDepth)) {
    return Fail(Validation("request body: JSON nested too deeply"));
  }
  // nlohmann keeps the last of duplicate keys while other readers may keep the first: two readers
  // of one signed body must never see two different requests, so duplicates are refused at any
  // depth. Keys are compared after unescaping ("a" and "\u0061" are the same key).
  std::vector<std::unordered_set<std::string>> open_objects;
  bool duplicate_key = false;
  const json::parser_callback_t check_keys = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second) {
          duplicate_key = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  json doc = json::parse(body.begin(), body.end(), check_keys, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Fail(Validation("request body: not valid JSON"));
  if (duplicate_key) return Fail(Validation("request body: an object repeats a key"));
  if (!doc.is_object()) return Fail(Validation("request body: must be a JSON object"));
  return doc;
}

ProxyResult<void> ValidateRequestMetadata(const json& body, Operation op,
                                          const RequestLimits& limits) {
  auto it = body.find("requestMetadata");
  if (it == body.end()) return Fail(Validation("requestMetadata: missing required field"));
  if (!it->is_object()) return Fail(Validation("requestMetadata: must be a JSON object"));
  const json& md = *it;
  struct Field {
    const char* name;
    bool required;
    bool arn;
  };
  // Required fields per operation as the spec lists them; kmsKeyArn is optional for
  // GetKeyMetadata (sent for some kmsOperations only), and health carries only two fields.
  std::vector<Field> fields;
  switch (op) {
    case Operation::kGetHealthStatus:
      fields = {{"kmsRequestId", true, false}, {"kmsOperation", true, false}};
      break;
    case Operation::kGetKeyMetadata:
      fields = {{"awsPrincipalArn", true, true}, {"kmsOperation", true, false},
                {"kmsRequestId", true, false},   {"kmsKeyArn", false, true},
                {"awsSourceVpc", false, false},  {"awsSourceVpce", false, false},
                {"kmsViaService", false, false}};
      break;
    case Operation::kEncrypt:
    case Operation::kDecrypt:
      fields = {{"awsPrincipalArn", true, true}, {"kmsKeyArn", true, true},
                {"kmsOperation", true, false},   {"kmsRequestId", true, false},
                {"awsSourceVpc", false, false},  {"awsSourceVpce", false, false},
                {"kmsViaService", false, false}};
      break;
  }
  for (const Field& f : fields) {
    auto value = StringField(md, f.name, f.required, "requestMetadata.");
    if (!value.ok()) return Fail(std::move(value).error());
    if (f.arn && *value != nullptr && (*value)->size() > limits.max_arn_chars) {
      return Fail(MakeError(ErrorName::kUnsupportedOperation,
                            std::string("requestMetadata.") + f.name +
                                ": longer than the supported " +
                                std::to_string(limits.max_arn_chars) + " characters"));
    }
  }
  return {};
}

ProxyResult<EncryptInput> ParseEncryptInput(const json& body, const RequestLimits& limits) {
  EncryptInput in;
  auto plaintext = StringField(body, "plaintext", true, "");
  if (!plaintext.ok()) return Fail(std::move(plaintext).error());
  auto pt = DecodeField<SecretBytes>(**plaintext, "plaintext", limits.max_plaintext_bytes,
                                     ErrorName::kUnsupportedOperation);
  if (!pt.ok()) return Fail(std::move(pt).error());
  if (pt->empty()) return Fail(Validation("plaintext: must not be empty"));
  in.plaintext = std::move(pt).value();
  if (auto alg = CheckAlgorithm(body); !alg.ok()) return Fail(std::move(alg).error());
  auto aad = StringField(body, "additionalAuthenticatedData", false, "");
  if (!aad.ok()) return Fail(std::move(aad).error());
  if (*aad != nullptr) {
    auto a = DecodeField<SecretBytes>(**aad, "additionalAuthenticatedData", limits.max_aad_bytes,
                                      ErrorName::kUnsupportedOperation);
    if (!a.ok()) return Fail(std::move(a).error());
    in.aad = std::move(a).value();
  }
  auto cdiv = StringField(body, "ciphertextDataIntegrityValueAlgorithm", false, "");
  if (!cdiv.ok()) return Fail(std::move(cdiv).error());
  if (*cdiv != nullptr) {
    if (**cdiv != "SHA_256") {
      return Fail(Validation("ciphertextDataIntegrityValueAlgorithm: must be SHA_256"));
    }
    in.cdiv_requested = true;
  }
  return in;
}

ProxyResult<DecryptInput> ParseDecryptInput(const json& body, const RequestLimits& limits) {
  DecryptInput in;
  auto ciphertext = StringField(body, "ciphertext", true, "");
  if (!ciphertext.ok()) return Fail(std::move(ciphertext).error());
  auto ct = DecodeField<std::vector<std::uint8_t>>(
      **ciphertext, "ciphertext", limits.max_ciphertext_bytes, ErrorName::kUnsupportedOperation);
  if (!ct.ok()) return Fail(std::move(ct).error());
  if (ct->empty()) return Fail(Validation("ciphertext: must not be empty"));
  in.ciphertext = std::move(ct).value();
  if (auto alg = CheckAlgorithm(body); !alg.ok()) return Fail(std::move(alg).error());

  auto iv = StringField(body, "initializationVector", true, "");
  if (!iv.ok()) return Fail(std::move(iv).error());
  auto iv_bytes = DecodeField<std::vector<std::uint8_t>>(**iv, "initializationVector", 16,
                                                         ErrorName::kValidation);
  if (!iv_bytes.ok()) return Fail(std::move(iv_bytes).error());
  if (iv_bytes->size() != 12 && iv_bytes->size() != 16) {
    return Fail(Validation("initializationVector: must be 12 or 16 bytes"));
  }
  in.iv = std::move(iv_bytes).value();

  auto tag = StringField(body, "authenticationTag", true, "");
  if (!tag.ok()) return Fail(std::move(tag).error());
  auto tag_bytes = DecodeField<std::vector<std::uint8_t>>(**tag, "authenticationTag", 16,
                                                          ErrorName::kValidation);
  if (!tag_bytes.ok()) return Fail(std::move(tag_bytes).error());
  if (tag_bytes->size() != 16) return Fail(Validation("authenticationTag: must be 16 bytes"));
  in.tag = std::move(tag_bytes).value();

  auto md = StringField(body, "ciphertextMetadata", false, "");
  if (!md.ok()) return Fail(std::move(md).error());
  if (*md != nullptr) {
    auto m = DecodeField<std::vector<std::uint8_t>>(**md, "ciphertextMetadata", 20,
                                                    ErrorName::kValidation);
    if (!m.ok()) return Fail(std::move(m).error());
    in.metadata = std::move(m).value();
  }

  auto aad = StringField(body, "additionalAuthenticatedData", false, "");
  if (!aad.ok()) return Fail(std::move(aad).error());
  if (*aad != nullptr) {
    auto a = DecodeField<SecretBytes>(**aad, "additionalAuthenticatedData", limits.max_aad_bytes,
                                      ErrorName::kUnsupportedOperation);
    if (!a.ok()) return Fail(std::move(a).error());
    in.aad = std::move(a).value();
  }
  return in;
}

void WipeSecretFields(nlohmann::json& body) {
  if (!body.is_object()) return;
  for (const char* name : {"plaintext", "additionalAuthenticatedData"}) {
    auto it = body.find(name);
    if (it != body.end() && it->is_string()) WipeString(it->get_ref<std::string&>());
  }
}

}  // namespace xks::api
