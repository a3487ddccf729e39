#include "pkcs11/pkcs11_uri.h"

#include <p11-kit/uri.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace xks::pkcs11 {
namespace {

// p11-kit leaves an attribute that was absent from the URI all zero bytes, and pads a present one
// with blanks, so the first byte tells them apart.
std::optional<std::string> PaddedField(const unsigned char* field, std::size_t size) {
  if (field[0] == 0) return std::nullopt;
  std::string value(reinterpret_cast<const char*>(field), size);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
  return value;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

struct UriDeleter {
  void operator()(P11KitUri* uri) const { p11_kit_uri_free(uri); }
};

// The path part (between "pkcs11:" and '?') has an empty attribute: "pkcs11:;token=a",
// "token=a;;serial=b" or a trailing ';'. RFC 7512 has none, and p11-kit 0.24 stops parsing at one
// with success, ignoring what follows: a token= (leaving "any token") or the query's pin-value.
bool HasEmptyPathAttribute(std::string_view uri) {
  std::string_view path = uri.substr(std::string_view("pkcs11:").size());
  path = path.substr(0, path.find('?'));
  return !path.empty() &&
         (path.front() == ';' || path.back() == ';' || path.find(";;") != std::string_view::npos);
}

}  // namespace

bool TokenSelector::Matches(const SlotDescription& slot) const {
  auto eq = [](const std::optional<std::string>& want, const std::string& have) {
    return !want || TrimBlanks(*want) == TrimBlanks(have);
  };
  if (slot_id && *slot_id != slot.slot_id) return false;
  return eq(label, slot.token_label) && eq(serial, slot.token_serial) &&
         eq(manufacturer, slot.manufacturer) && eq(model, slot.token_model);
}

bool IsPkcs11Uri(std::string_view text) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (text.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kScheme[i]) return false;
  }
  return true;
}

HsmResult<Pkcs11Uri> ParsePkcs11Uri(std::string_view text) {
  if (!IsPkcs11Uri(text)) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "not a pkcs11: URI"));
  }
  // RFC 7512 writes a space, a control byte or a NUL percent-encoded. p11-kit would read a raw NUL
  // as the end of the URI, and drops raw whitespace before parsing (so "; ;" is an empty
  // attribute, below): either way, text would be ignored instead of refused.
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
      })) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument,
                             "malformed PKCS#11 URI: a space or control byte (write it %XX)"));
  }
  if (HasEmptyPathAttribute(text)) {
    return Fail(
        MakeHsmError(HsmErrorKind::kInvalidArgument,
                     "malformed PKCS#11 URI: empty attribute (';' at the start or end, or ';;')"));
  }
  std::unique_ptr<P11KitUri, UriDeleter> uri(p11_kit_uri_new());
  if (!uri) return Fail(MakeHsmError(HsmErrorKind::kInternal, "p11_kit_uri_new failed"));
  const std::string owned(text);
  const int rc = p11_kit_uri_parse(owned.c_str(), P11_KIT_URI_FOR_ANY, uri.get());
  if (rc != P11_KIT_URI_OK) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument,
                             std::string("malformed PKCS#11 URI: ") + p11_kit_uri_message(rc)));
  }
  if (p11_kit_uri_get_pin_value(uri.get()) != nullptr ||
      p11_kit_uri_get_pin_source(uri.get()) != nullptr) {
    // Message deliberately does not echo the URI: it would contain the PIN.
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument,
                             "PKCS#11 URI must not carry pin-value or pin-source"));
  }

  Pkcs11Uri out;
  const CK_TOKEN_INFO* token = p11_kit_uri_get_token_info(uri.get());
  out.token.label = PaddedField(token->label, sizeof token->label);
  out.token.serial = PaddedField(token->serialNumber, sizeof token->serialNumber);
  out.token.manufacturer = PaddedField(token->manufacturerID, sizeof token->manufacturerID);
  out.token.model = PaddedField(token->model, sizeof token->model);
  const CK_SLOT_ID slot = p11_kit_uri_get_slot_id(uri.get());
  if (slot != static_cast<CK_SLOT_ID>(-1)) out.token.slot_id = slot;

  if (const CK_ATTRIBUTE* label = p11_kit_uri_get_attribute(uri.get(), CKA_LABEL)) {
    out.object.label = std::string(static_cast<const char*>(label->pValue), label->ulValueLen);
  }
  if (const CK_ATTRIBUTE* id = p11_kit_uri_get_attribute(uri.get(), CKA_ID)) {
    const auto* bytes = static_cast<const std::uint8_t*>(id->pValue);
    out.object.id = std::vector<std::uint8_t>(bytes, bytes + id->ulValueLen);
  }
  return out;
}

HsmResult<TokenSelector> ParseTokenSelector(std::string_view uri_or_label) {
  if (!IsPkcs11Uri(uri_or_label)) {
    if (uri_or_label.empty() || uri_or_label.size() > 32) {
      return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "token label must be 1-32 bytes"));
    }
    TokenSelector selector;
    selector.label = std::string(uri_or_label);
    return selector;
  }
  auto uri = ParsePkcs11Uri(uri_or_label);
  if (!uri.ok()) return Fail(std::move(uri).error());
  return uri->token;
}

HsmResult<ObjectSelector> ParseObjectSelector(std::string_view uri_or_label) {
  if (!IsPkcs11Uri(uri_or_label)) {
    if (uri_or_label.empty()) {
      return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "empty key label"));
    }
    ObjectSelector selector;
    selector.label = std::string(uri_or_label);
    return selector;
  }
  auto uri = ParsePkcs11Uri(uri_or_label);
  if (!uri.ok()) return Fail(std::move(uri).error());
  if (!uri->object.label) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "key URI has no object= attribute"));
  }
  return uri->object;
}

}  // namespace xks::pkcs11
