#include "pkcs11/aes_gcm.h"

#include <algorithm>
#include <vector>

namespace xks::pkcs11 {
namespace {

// Modules take non-const pointers in CK_GCM_PARAMS but only read IV (explicit mode) and AAD.
CK_BYTE_PTR Mutable(std::span<const std::uint8_t> s) { return const_cast<CK_BYTE_PTR>(s.data()); }

CK_GCM_PARAMS MakeParams(std::span<const std::uint8_t> iv, std::span<const std::uint8_t> aad) {
  CK_GCM_PARAMS params{};
  params.iv_ptr = Mutable(iv);
  params.iv_len = iv.size();
  params.iv_bits = iv.size() * 8;
  params.aad_ptr = Mutable(aad);
  params.aad_len = aad.size();
  params.tag_bits = kGcmTagBytes * 8;
  return params;
}

}  // namespace

HsmResult<void> CheckGcmSizes(std::size_t iv, std::size_t tag, std::size_t aad) {
  if (iv != 12 && iv != 16) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "IV must be 12 or 16 bytes"));
  }
  if (tag != kGcmTagBytes) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "tag must be 16 bytes"));
  }
  if (aad > kMaxAadBytes) {
    return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "AAD longer than 65535 bytes"));
  }
  return {};
}

HsmResult<GcmSealed> GcmEncrypt(Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                                GcmIvMode mode, std::span<std::uint8_t> iv,
                                std::span<const std::uint8_t> plaintext,
                                std::span<const std::uint8_t> aad, bool& session_dirty) {
  session_dirty = false;
  if (auto sizes = CheckGcmSizes(iv.size(), kGcmTagBytes, aad.size()); !sizes.ok())
    return Fail(sizes.error());
  if (mode == GcmIvMode::kHsmGenerated) std::fill(iv.begin(), iv.end(), 0);
  // What we asked for, to catch a module that puts its own IV over an explicit one.
  const std::vector<std::uint8_t> requested_iv(iv.begin(), iv.end());
  CK_GCM_PARAMS params = MakeParams(iv, aad);
  CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof params};
  // Always a non-empty output buffer: a NULL output pointer is a size query, which would leave the
  // operation active instead of running it.
  std::vector<std::uint8_t> out(plaintext.size() + kGcmTagBytes);
  CK_ULONG out_len = out.size();

  if (auto r = XKS_CK(module, C_EncryptInit, session, &mechanism, key); !r.ok())
    return Fail(r.error());
  session_dirty = true;
  // SoftHSM refuses a NULL data pointer even for zero bytes (CKR_ARGUMENTS_BAD).
  std::uint8_t empty = 0;
  CK_BYTE_PTR data = plaintext.empty() ? &empty : Mutable(plaintext);
  auto r = XKS_CK(module, C_Encrypt, session, data, plaintext.size(), out.data(), &out_len);
  // PKCS#11 says most errors end the operation, but SoftHSM leaves it active after e.g.
  // CKR_ARGUMENTS_BAD; so only success counts as finished and the caller cancels or discards.
  session_dirty = !r.ok();
  if (!r.ok()) return Fail(r.error());
  if (out_len != plaintext.size() + kGcmTagBytes) {
    return Fail(MakeHsmError(HsmErrorKind::kInternal, "C_Encrypt returned an unexpected length"));
  }
  GcmSealed sealed;
  if (mode == GcmIvMode::kHsmGenerated) {
    // v3.0 modules write the generated IV through params.pIv (= iv); some move the pointer.
    const auto* generated = params.iv_ptr;
    sealed.iv.assign(generated, generated + iv.size());
    // A module that ignores the request encrypts under the all-zero IV we passed in: refuse to
    // hand out such a ciphertext (a misconfigured flag would otherwise reuse one IV forever).
    if (std::all_of(sealed.iv.begin(), sealed.iv.end(), [](std::uint8_t b) { return b == 0; })) {
      // The message names the configuration field an operator can change (hsm.modules[]).
      return Fail(MakeHsmError(HsmErrorKind::kInternal,
                               "module did not generate a GCM IV; set generate_iv_in_hsm to "
                               "false for this module in hsm.modules[]"));
    }
  } else {
    // A module that generates IVs itself overwrites ours in params.pIv: the ciphertext is then
    // under an IV nobody chose here (an explicit known-answer IV would silently not be used).
    if (params.iv_ptr != iv.data() || !std::equal(iv.begin(), iv.end(), requested_iv.begin())) {
      return Fail(MakeHsmError(HsmErrorKind::kInternal,
                               "module replaced the GCM IV with its own; set generate_iv_in_hsm "
                               "to true for this module in hsm.modules[]"));
    }
    sealed.iv.assign(iv.begin(), iv.end());
  }
  sealed.ciphertext.assign(out.begin(),
                           out.begin() + static_cast<std::ptrdiff_t>(plaintext.size()));
  std::copy(out.end() - kGcmTagBytes, out.end(), sealed.tag.begin());
  return sealed;
}

HsmResult<SecretBytes> GcmDecrypt(Module& module, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                                  std::span<const std::uint8_t> iv,
                                  std::span<const std::uint8_t> ciphertext,
                                  std::span<const std::uint8_t> tag,
                                  std::span<const std::uint8_t> aad, bool& session_dirty) {
  session_dirty = false;
  if (auto sizes = CheckGcmSizes(iv.size(), tag.size(), aad.size()); !sizes.ok())
    return Fail(sizes.error());
  CK_GCM_PARAMS params = MakeParams(iv, aad);
  CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof params};
  std::vector<std::uint8_t> in(ciphertext.size() + tag.size());
  std::copy(ciphertext.begin(), ciphertext.end(), in.begin());
  std::copy(tag.begin(), tag.end(), in.begin() + static_cast<std::ptrdiff_t>(ciphertext.size()));
  // Never empty (see GcmEncrypt); extra room because some modules ask for input-length output.
  SecretBytes out(in.size());
  CK_ULONG out_len = out.size();

  if (auto r = XKS_CK(module, C_DecryptInit, session, &mechanism, key); !r.ok())
    return Fail(r.error());
  session_dirty = true;
  auto r = XKS_CK(module, C_Decrypt, session, in.data(), in.size(), out.data(), &out_len);
  session_dirty = !r.ok();  // see GcmEncrypt
  if (!r.ok()) {
    HsmError error = r.error();
    if (error.ck_rv == CKR_GENERAL_ERROR && module.decrypt_general_error_is_bad_ciphertext()) {
      error.kind = HsmErrorKind::kBadCiphertext;  // the module's way of saying "tag mismatch"
    }
    return Fail(std::move(error));
  }
  if (out_len != ciphertext.size()) {
    return Fail(MakeHsmError(HsmErrorKind::kInternal, "C_Decrypt returned an unexpected length"));
  }
  out.Truncate(out_len);
  return out;
}

}  // namespace xks::pkcs11
