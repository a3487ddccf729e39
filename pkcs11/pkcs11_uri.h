#pragma once
// RFC 7512 PKCS#11 URIs ("pkcs11:token=acme;object=k1"), parsed with p11-kit's p11_kit_uri_parse,
// turned into token and object selectors. Does not include pkcs11.h.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkcs11/hsm.h"
#include "pkcs11/hsm_error.h"

namespace xks::pkcs11 {

/// Which token: every attribute present must match. All absent = any token.
struct TokenSelector {
  std::optional<std::string> label, serial, manufacturer, model;
  std::optional<unsigned long> slot_id;

  /// True when every present attribute equals the slot's (labels compared without trailing blanks).
  bool Matches(const SlotDescription& slot) const;
};

/// Which object: label (object=) and/or id (id=).
struct ObjectSelector {
  std::optional<std::string> label;
  std::optional<std::vector<std::uint8_t>> id;
};

struct Pkcs11Uri {
  TokenSelector token;
  ObjectSelector object;
};

/// True when `text` starts with "pkcs11:" (case-insensitive scheme).
bool IsPkcs11Uri(std::string_view text);

/// Parses an RFC 7512 URI. Errors (kInvalidArgument): not a pkcs11: URI, malformed per p11-kit, or
/// it carries pin-value / pin-source (PINs come from a PinSource only). Thread-safe.
HsmResult<Pkcs11Uri> ParsePkcs11Uri(std::string_view uri);

/// A URI parses as such; anything else is a plain token label. Thread-safe.
HsmResult<TokenSelector> ParseTokenSelector(std::string_view uri_or_label);

/// A URI must name the object with object= (id= optional); anything else is a plain key label.
HsmResult<ObjectSelector> ParseObjectSelector(std::string_view uri_or_label);

}  // namespace xks::pkcs11
