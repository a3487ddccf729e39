#include <cstdint>
#include <string>
#include <vector>

#include "proxy/api/backend_errors.h"
#include "proxy/api/ciphertext_metadata.h"
#include "proxy/api/hsm_aad.h"
#include "proxy/api/http_responses.h"
#include "proxy/api/key_version.h"
#include "proxy/api/operations.h"

namespace xks::api {
namespace {

bool VerificationWanted(const std::string& verify_encrypt, bool cdiv_requested) {
  return verify_encrypt == "always" || (verify_encrypt == "when_cdiv_requested" && cdiv_requested);
}

// The verifying decrypt of api.verify_encrypt: the HSM must give the plaintext back from what it
// just sealed, or nothing leaves. Records the outcome in the audit event.
ProxyResult<void> VerifyEncrypt(RequestContext& ctx, OperationEnv& env, const UsableVersion& key,
                                const SealedData& out, const EncryptInput& in,
                                const SecretBytes& hsm_aad) {
  if (!VerificationWanted(ctx.registry->config().api.verify_encrypt, in.cdiv_requested)) {
    ctx.event.encrypt_verification = "not_requested";
    return {};
  }
  if (!key.attributes.decrypt) {
    // An encrypt-only key (no CKA_DECRYPT) cannot run the verifying decrypt, and must still
    // encrypt: KMS asks for a CDIV on every encrypt. The CDIV still lets KMS detect a corruption
    // in transit; the audit record says the HSM round trip was skipped and why.
    ctx.event.encrypt_verification = "skipped_key_cannot_decrypt";
    return {};
  }
  ctx.event.encrypt_verification = "failed";  // until the round trip proves otherwise
  auto check = TimedHsmCall(ctx, env.clock, [&] {
    return env.backend.Decrypt(key.location, out.iv, out.ciphertext, out.tag, hsm_aad.span(),
                               ctx.deadline);
  });
  if (!check.ok()) {
    return Fail(ClientErrorForBackendFailure(BackendCall::kEncryptVerification, check.error()));
  }
  if (!ConstantTimeEquals(check->span(), in.plaintext.span())) {
    return Fail(MakeError(ErrorName::kInternal, std::string(kEncryptNotVerifiedMessage),
                          "verifying decrypt returned different plaintext"));
  }
  ctx.event.encrypt_verification = "decrypted";
  return {};
}

}  // namespace

ProxyResult<HttpResponse> RunEncrypt(RequestContext& ctx, OperationEnv& env) {
  const tenant::Tenant& tenant = *ctx.tenant;
  auto input = ParseEncryptInput(ctx.body, ctx.limits);
  if (!input.ok()) return Fail(std::move(input).error());
  EncryptInput& in = input.value();
  ctx.event.plaintext_length = in.plaintext.size();
  auto key = UsableKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  const tenant::KeyVersion* version = (*key)->Current();
  auto usable = PrepareKeyVersion(ctx, env, *version, KeyUse::kEncrypt);
  if (!usable.ok()) return Fail(std::move(usable).error());

  const std::vector<std::uint8_t> metadata =
      EncodeCiphertextMetadata({version->version, ComputeTenantBinding(tenant.name)});
  const SecretBytes hsm_aad = BuildHsmAad(in.aad.span(), metadata);
  auto sealed = TimedHsmCall(ctx, env.clock, [&] {
    return env.backend.Encrypt(usable->location, in.plaintext.span(), hsm_aad.span(), ctx.deadline);
  });
  if (!sealed.ok()) {
    return Fail(ClientErrorForBackendFailure(BackendCall::kEncrypt, sealed.error()));
  }
  const SealedData& out = sealed.value();
  if ((out.iv.size() != 12 && out.iv.size() != 16) ||
      out.ciphertext.size() != in.plaintext.size()) {
    return Fail(MakeError(ErrorName::kInternal, "The HSM returned a malformed result.",
                          "backend Encrypt returned wrong IV or ciphertext length"));
  }

  // Appendix C order: the CDIV is computed over the output before the verifying decrypt, so a
  // corruption after this point is caught by KMS rather than baked into a matching CDIV.
  std::string cdiv;
  if (in.cdiv_requested) {
    cdiv = ComputeCdivSha256(in.aad.span(), metadata, out.iv, out.ciphertext, out.tag);
  }
  if (auto verified = VerifyEncrypt(ctx, env, *usable, out, in, hsm_aad); !verified.ok()) {
    return Fail(std::move(verified).error());
  }

  ctx.event.ciphertext_length = out.ciphertext.size();
  return EncryptResponse(out, metadata, cdiv);
}

}  // namespace xks::api
