// `xksctl key import-params` and `key import`: bring your own key, wrapped under a one-time
// RSA key pair in the tenant's token.
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <vector>

#include "base/openssl.h"
#include "proxy/config/config.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/key_handlers.h"
#include "tools/xksctl/key_versions.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl::keys {

namespace {

constexpr unsigned kWrappingKeyBits = 3072;

std::string WrappingKeyLabel(const std::string& tenant, const std::string& key_id) {
  return "xks-" + tenant + "-" + key_id + "-wrap";
}

pkcs11::OaepHash ParseWrappingAlgorithm(const std::string& text) {
  if (text == "RSAES_OAEP_SHA_256") return pkcs11::OaepHash::kSha256;
  if (text == "RSAES_OAEP_SHA_1") return pkcs11::OaepHash::kSha1;
  throw UsageError("--wrapping-algorithm must be RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1");
}

void CheckKeyId(const std::string& key_id) {
  if (!config::IsValidExternalKeyId(key_id)) {
    throw UsageError("EXTERNAL_KEY_ID must be 1..128 of A-Z a-z 0-9 . - _");
  }
}

// SubjectPublicKeyInfo PEM of an RSA public key given as big-endian modulus and exponent.
std::string RsaPublicKeyPem(const pkcs11::RsaPublicKey& key) {
  BignumPtr n(BN_bin2bn(key.modulus.data(), static_cast<int>(key.modulus.size()), nullptr));
  BignumPtr e(
      BN_bin2bn(key.public_exponent.data(), static_cast<int>(key.public_exponent.size()), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (OpenSSL param build)");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (OpenSSL fromdata)");
  }
  EvpPkeyPtr pkey(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    throw OperationError("cannot encode the wrapping public key (PEM)");
  }
  return BioContents(bio.get());
}

std::vector<std::uint8_t> ReadBinaryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OperationError(path + ": cannot read");
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

}  // namespace

int RunKeyImportParams(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  CheckKeyId(key_id);
  const std::string algorithm = args.GetOr("wrapping-algorithm", "RSAES_OAEP_SHA_256");
  (void)ParseWrappingAlgorithm(algorithm);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  TenantHsm hsm = OpenTenantHsm(store->config(), store->Tenant(tenant));
  const std::string label = WrappingKeyLabel(tenant, key_id);
  bool replaced = false;
  if (args.Has("replace")) {
    // Both halves carry the label, so this destroys the whole earlier pair.
    auto destroyed = hsm.client->DestroyKey(label, AdminDeadline());
    if (!destroyed.ok() && destroyed.error().kind != pkcs11::HsmErrorKind::kNotFound) {
      ThrowHsm("cannot destroy the earlier wrapping key pair " + label, destroyed.error());
    }
    replaced = destroyed.ok();
  }
  SecretBytes id = RandomBytes(16);
  auto pub = hsm.client->GenerateRsaWrappingKeyPair(
      label, std::span<const std::uint8_t>(id.data(), id.size()), kWrappingKeyBits,
      AdminDeadline());
  if (!pub.ok()) {
    ThrowHsm("cannot create wrapping key pair " + label +
                 " (a pair from an earlier import-params may exist: import with it, or give "
                 "--replace)",
             pub.error());
  }
  const std::string pem = RsaPublicKeyPem(pub.value());
  const auto out = args.Get("out");
  if (out) WriteFileAtomic(*out, pem, 0644);
  nlohmann::json data = {{"tenant", tenant},
                         {"external_key_id", key_id},
                         {"wrapping_key_label", label},
                         {"wrapping_algorithm", algorithm},
                         {"key_bits", kWrappingKeyBits},
                         {"replaced", replaced},
                         {"public_key_pem", pem}};
  if (out) data["out"] = *out;
  std::string text = out ? "wrote the RSA-" + std::to_string(kWrappingKeyBits) +
                               " wrapping public key (" + label + ") to " + *out + "\n"
                         : pem;
  return Emit(ctx, std::move(data), text);
}

int RunKeyImport(Context& ctx, const ParsedArgs& args) {
  const std::string tenant = args.Positional(0), key_id = args.Positional(1);
  CheckKeyId(key_id);
  const pkcs11::OaepHash hash =
      ParseWrappingAlgorithm(args.GetOr("wrapping-algorithm", "RSAES_OAEP_SHA_256"));
  const auto wrapped_path = args.Get("wrapped-key");
  if (!wrapped_path) throw UsageError("--wrapped-key FILE is required");
  const std::vector<std::uint8_t> wrapped = ReadBinaryFile(*wrapped_path);
  auto store = ConfigStore::Open(ctx.RequireConfigPath());
  const config::TenantConfig& t = store->Tenant(tenant);
  auto existing = std::find_if(t.keys.begin(), t.keys.end(), [&](const config::KeyConfig& k) {
    return k.external_key_id == key_id;
  });
  const bool rotation = existing != t.keys.end();
  const NextVersion next = rotation ? NextVersionOf(*existing, key_id) : NextVersion{};
  const int version = next.version;
  TenantHsm hsm = OpenTenantHsm(store->config(), t);
  const Usage usage = UsageForNewVersion(args, hsm, next.latest_label);
  const std::string wrap_label = WrappingKeyLabel(tenant, key_id);
  const std::string label = KeyLabel(tenant, key_id, version);
  auto imported = hsm.client->UnwrapAesKeyRsaOaep(wrap_label, wrapped, NewKeySpec(label, usage),
                                                  AdminDeadline(), hash);
  if (!imported.ok()) {
    ThrowHsm("cannot import the wrapped key with " + wrap_label +
                 " (run `xksctl key import-params` first; the material must be 32 bytes wrapped "
                 "with RSAES-OAEP as --wrapping-algorithm says; the wrapping pair is kept for a "
                 "retry; SoftHSMv2 2.6 cannot import: see docs/xksctl.md)",
             imported.error());
  }
  const std::string created = NowUtc();
  AddVersion(*store, tenant, key_id, version, label, created, "EXTERNAL");
  nlohmann::json reload = SaveOrRollBack(ctx, *store, hsm, label);
  // The wrapping pair is single-use: once the key is mapped it has no further purpose.
  auto destroyed = hsm.client->DestroyKey(wrap_label, AdminDeadline());
  std::string text = std::string(rotation ? "imported a new version of" : "imported") + " key " +
                     key_id + " for tenant " + tenant + ": version " + std::to_string(version) +
                     " = HSM key " + label + " (AES-256, " + UsageString(imported->usage) +
                     ", sensitive, non-extractable)\n";
  if (!destroyed.ok()) {
    text += "warning: could not destroy the wrapping key pair " + wrap_label + ": " +
            destroyed.error().message + "\n";
  }
  return Emit(ctx,
              {{"tenant", tenant},
               {"external_key_id", key_id},
               {"label", label},
               {"version", version},
               {"rotation", rotation},
               {"usage", UsageString(imported->usage)},
               {"created", created},
               {"wrapping_key_destroyed", destroyed.ok()},
               {"reload", reload}},
              text);
}

}  // namespace xks::xksctl::keys
