#pragma once
// Finding objects and reading their attributes on one session. Internal to pkcs11/.

#include <cstdint>
#include <optional>
#include <vector>

#include "pkcs11/module.h"
#include "pkcs11/pkcs11_uri.h"

namespace xks::pkcs11 {

/// All token objects (CKA_TOKEN=TRUE: session copies are never matched) of `object_class` (or any
/// class if nullopt) matching the selector (label and/or id; an empty selector matches all).
/// C_FindObjectsFinal always runs once C_FindObjectsInit succeeded. Errors: mapped CK_RVs.
HsmResult<std::vector<CK_OBJECT_HANDLE>> FindTokenObjects(
    Module& module, CK_SESSION_HANDLE session, const ObjectSelector& selector,
    std::optional<CK_OBJECT_CLASS> object_class);

/// Exactly one key of `object_class`. Errors: kNotFound (none), kInvalidArgument (several).
HsmResult<CK_OBJECT_HANDLE> FindOneKey(Module& module, CK_SESSION_HANDLE session,
                                       const ObjectSelector& selector,
                                       CK_OBJECT_CLASS object_class);

/// Reads class, type, label, id, CKA_VALUE_LEN, usage and protection flags. Attributes the object
/// does not have read as false / 0. Errors: mapped CK_RVs (kNotFound for a stale handle).
HsmResult<KeyInfo> DescribeObject(Module& module, CK_SESSION_HANDLE session,
                                  CK_OBJECT_HANDLE object);

/// Reads one variable-length attribute (two-call size query). Errors: mapped CK_RVs
/// (kKeyUsageNotPermitted for CKR_ATTRIBUTE_SENSITIVE, i.e. an unreadable CKA_VALUE).
HsmResult<std::vector<std::uint8_t>> ReadBytesAttribute(Module& module, CK_SESSION_HANDLE session,
                                                        CK_OBJECT_HANDLE object,
                                                        CK_ATTRIBUTE_TYPE type);

}  // namespace xks::pkcs11
