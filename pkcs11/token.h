#pragma once
// Slots and tokens: listing, finding one token by selector, initializing a token, opening a
// logged-in session. Internal to pkcs11/.

#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "pkcs11/module.h"
#include "pkcs11/pkcs11_uri.h"
#include "pkcs11/session_pool.h"

namespace xks::pkcs11 {

/// The one slot whose token matches. Errors: kNotFound (none), kInvalidArgument (several match).
HsmResult<SlotDescription> FindToken(Module& module, const TokenSelector& selector);

/// Opens a read-write session on `slot` and logs the user in unless the token already is (login
/// state is per token and lost when its last session closes, so each new session checks).
/// The session is stamped with the generation read before opening it. Errors: mapped CK_RVs.
HsmResult<PooledSession> OpenLoggedInSession(Module& module, unsigned long slot,
                                             const SecretBytes& pin);

}  // namespace xks::pkcs11
