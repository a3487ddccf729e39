#include <cstdint>
#include <string>

#include "base/base64.h"
#include "proxy/api/backend_errors.h"
#include "proxy/api/ciphertext_metadata.h"
#include "proxy/api/hsm_aad.h"
#include "proxy/api/http_responses.h"
#include "proxy/api/key_version.h"
#include "proxy/api/operations.h"

namespace xks::api {
namespace {

Error InvalidCiphertext(std::string detail) {
  return MakeError(ErrorName::kInvalidCiphertext, std::string(kInvalidCiphertextMessage),
                   std::move(detail));
}

// Usage first: a key that may not decrypt answers InvalidKeyUsage whatever the ciphertext (KMS
// maps the two errors differently). The current version decides here; the version named by the
// metadata is checked again by PrepareKeyVersion.
ProxyResult<void> CurrentVersionMayDecrypt(RequestContext& ctx, OperationEnv& env,
                                           const tenant::TenantKey& key) {
  const tenant::KeyVersion* current = key.Current();
  if (current == nullptr) {  // every version retired: nothing may be decrypted with this key
    return Fail(MakeError(ErrorName::kInvalidState, "The external key has no active version."));
  }
  auto attrs = KeyAttributesFor(ctx, env, KeyLocation{ctx.member.token_id(), current->label});
  if (!attrs.ok()) return Fail(std::move(attrs).error());
  if (auto usable = RequireAes256For(*attrs, KeyUse::kDecrypt); !usable.ok()) {
    ctx.event.key_label = current->label;
    return Fail(std::move(usable).error());
  }
  return {};
}

// Every ciphertext this proxy makes carries our metadata; without it (or with a foreign tenant
// binding) the ciphertext cannot be ours for this tenant. One message for every case, so the
// response is no oracle on which part was wrong.
ProxyResult<const tenant::KeyVersion*> VersionNamedByMetadata(const tenant::Tenant& tenant,
                                                              const tenant::TenantKey& key,
                                                              const DecryptInput& in) {
  if (in.metadata.empty()) return Fail(InvalidCiphertext("ciphertextMetadata absent"));
  auto metadata = DecodeCiphertextMetadata(in.metadata);
  if (!metadata) {
    return Fail(InvalidCiphertext("ciphertextMetadata malformed or unknown format version"));
  }
  const TenantBinding binding = ComputeTenantBinding(tenant.name);
  if (!ConstantTimeEquals(metadata->tenant_binding, binding)) {
    return Fail(InvalidCiphertext("ciphertextMetadata bound to another tenant"));
  }
  const tenant::KeyVersion* version = key.Find(metadata->key_version);
  if (version == nullptr) {
    return Fail(InvalidCiphertext("ciphertextMetadata names key version " +
                                  std::to_string(metadata->key_version) +
                                  " which is not configured"));
  }
  return version;
}

}  // namespace

ProxyResult<HttpResponse> RunDecrypt(RequestContext& ctx, OperationEnv& env) {
  const tenant::Tenant& tenant = *ctx.tenant;
  auto input = ParseDecryptInput(ctx.body, ctx.limits);
  if (!input.ok()) return Fail(std::move(input).error());
  DecryptInput& in = input.value();
  ctx.event.ciphertext_length = in.ciphertext.size();
  auto key = UsableKey(tenant, ctx.route.external_key_id);
  if (!key.ok()) return Fail(std::move(key).error());
  if (auto may = CurrentVersionMayDecrypt(ctx, env, **key); !may.ok()) {
    return Fail(std::move(may).error());
  }
  auto version = VersionNamedByMetadata(tenant, **key, in);
  if (!version.ok()) return Fail(std::move(version).error());
  auto usable = PrepareKeyVersion(ctx, env, **version, KeyUse::kDecrypt);
  if (!usable.ok()) return Fail(std::move(usable).error());

  const SecretBytes hsm_aad = BuildHsmAad(in.aad.span(), in.metadata);
  auto plaintext = TimedHsmCall(ctx, env.clock, [&] {
    return env.backend.Decrypt(usable->location, in.iv, in.ciphertext, in.tag, hsm_aad.span(),
                               ctx.deadline);
  });
  if (!plaintext.ok()) {
    return Fail(ClientErrorForBackendFailure(BackendCall::kDecrypt, plaintext.error()));
  }
  if (plaintext->size() != in.ciphertext.size()) {
    return Fail(MakeError(ErrorName::kInternal, "The HSM returned a malformed result.",
                          "backend Decrypt returned wrong plaintext length"));
  }
  ctx.event.plaintext_length = plaintext->size();
  return PlaintextResponse(plaintext->span());
}

}  // namespace xks::api
