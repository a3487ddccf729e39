#include "proxy/runtime/hsm_key_backend.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "proxy/api/backend_errors.h"
#include "proxy/common/log.h"

namespace xks::runtime {
namespace {

// Health checks encrypt a fixed, non-secret pattern: the point is to exercise the key and the
// mechanism, not to protect anything.
constexpr std::uint8_t kHealthPattern[32] = {'x', 'k', 's', '-', 'h', 'e', 'a', 'l', 't', 'h'};

std::string Fingerprint(const config::ModuleConfig& module, const config::TokenConfig& token) {
  return module.module + "|" + module.initialize_parameters + "|" +
         (module.generate_iv_in_hsm ? "hsm-iv" : "rng-iv") + "|" + token.token + "|" +
         token.pin.Describe() + "|" + std::to_string(token.max_sessions) + "|" +
         (token.copy_keys_to_session_objects ? "copy" : "nocopy") + "|" + token.health_check_key +
         "|" + std::to_string(token.max_stuck_calls) + "|" + std::to_string(token.queue_limit);
}

pkcs11::PinSource ToPinSource(const config::SecretRef& ref) {
  return ref.kind == config::SecretRef::Kind::kFile ? pkcs11::PinSource::File(ref.where)
                                                    : pkcs11::PinSource::Env(ref.where);
}

std::string DescribeModel(pkcs11::Module& module, const pkcs11::TokenClient& client) {
  auto slots = pkcs11::ListSlots(module);
  if (slots.ok()) {
    for (const auto& slot : *slots) {
      if (slot.token_serial == client.token_serial() && slot.token_label == client.token_label()) {
        return slot.manufacturer + " " + slot.token_model + " (token " + slot.token_label +
               ", serial " + slot.token_serial + ")";
      }
    }
  }
  return "PKCS#11 token " + client.token_label();
}

// Opens `token` on `module` (loaded from `module_spec`). A token initialized after the module was
// (e.g. by `xksctl tenant add` while we run) is invisible until the module enumerates tokens
// again: one rescan per module and ApplyConfig (`rescanned`) when the token is not found.
pkcs11::HsmResult<std::unique_ptr<pkcs11::TokenClient>> OpenTokenClient(
    const config::TokenConfig& token, const std::shared_ptr<pkcs11::Module>& module,
    const std::string& module_spec, std::set<std::string>& rescanned) {
  pkcs11::TokenConfig token_options;
  token_options.token = token.token;
  token_options.pin = ToPinSource(token.pin);
  token_options.max_sessions = token.max_sessions;
  token_options.copy_keys_to_session_objects = token.copy_keys_to_session_objects;
  auto client = pkcs11::TokenClient::Open(module, token_options);
  if (!client.ok() && client.error().kind == pkcs11::HsmErrorKind::kNotFound &&
      !rescanned.contains(module_spec)) {
    rescanned.insert(module_spec);
    if (auto rescan = pkcs11::RescanTokens(*module); rescan.ok()) {
      client = pkcs11::TokenClient::Open(module, token_options);
    }
  }
  return client;
}

// New work for `token_id` refused while `limiter` counts max_stuck calls past their deadline.
Error StuckRefusal(std::string_view token_id, const StuckCallLimiter& limiter) {
  return api::HsmFailure(ErrorName::kDependencyTimeout,
                         "token " + std::string(token_id) + ": " +
                             std::to_string(limiter.max_stuck()) +
                             " calls stuck past their deadline; new work refused");
}

// What scheduled work is told for each way the token's executor calls it.
ProxyResult<void> AdmissionOf(TokenExecutor::Outcome outcome, const std::string& token_id) {
  using Outcome = TokenExecutor::Outcome;
  const auto refused = [&](ErrorName name, const char* why) -> ProxyResult<void> {
    return Fail(api::HsmFailure(name, "token " + token_id + ": " + why));
  };
  switch (outcome) {
    case Outcome::kRun:
      return {};
    case Outcome::kExpired:
      return refused(ErrorName::kDependencyTimeout, "waited in its queue past the deadline");
    case Outcome::kStopped:
      return refused(ErrorName::kDependencyTimeout,
                     "reconfigured or shutting down before the work ran");
    case Outcome::kQueueFull:
      return refused(ErrorName::kThrottling, "queue full (queue_limit)");
    case Outcome::kWouldMissDeadline:
      return refused(ErrorName::kThrottling, "its queue would outlast the time budget");
  }
  std::abort();
}

// Where an ApplyConfig problem points the operator: entry `i` of hsm.modules or hsm.tokens.
std::string EntryPath(const char* list, std::ptrdiff_t i) {
  return std::string("hsm.") + list + "[" + std::to_string(i) + "]";
}

std::shared_ptr<OpenToken> MakeOpenToken(const config::TokenConfig& token, pkcs11::Module& module,
                                         std::shared_ptr<pkcs11::TokenClient> client,
                                         const std::string& fingerprint) {
  auto open = std::make_shared<OpenToken>();
  open->id = token.id;
  open->client = std::move(client);
  open->health_check_key = token.health_check_key;
  open->model = DescribeModel(module, *open->client);
  open->fingerprint = fingerprint;
  open->stuck_calls = std::make_unique<StuckCallLimiter>(
      token.max_stuck_calls != 0 ? token.max_stuck_calls : token.max_sessions);
  // One thread per session: a thread blocked in the HSM holds the session it called on, so this
  // many threads keep every session busy and never wait for one.
  open->executor = std::make_unique<TokenExecutor>(TokenExecutor::Options{
      .name = "hsm:" + token.id,
      .threads = token.max_sessions,
      .queue_limit = token.queue_limit,
      .now = {},
  });
  return open;
}

}  // namespace

ErrorName ErrorNameForHsmKind(pkcs11::HsmErrorKind kind) {
  using pkcs11::HsmErrorKind;
  switch (kind) {
    case HsmErrorKind::kNotFound:
      return ErrorName::kKeyNotFound;
    case HsmErrorKind::kBadCiphertext:
      return ErrorName::kInvalidCiphertext;
    case HsmErrorKind::kKeyUsageNotPermitted:
      return ErrorName::kInvalidKeyUsage;
    case HsmErrorKind::kTimeout:
      return ErrorName::kDependencyTimeout;
    case HsmErrorKind::kBusy:
      return ErrorName::kThrottling;  // out of HSM sessions: the client backs off and retries
    case HsmErrorKind::kInvalidArgument:
      return ErrorName::kValidation;
    case HsmErrorKind::kUnavailable:
    case HsmErrorKind::kInternal:
      return ErrorName::kInternal;
  }
  std::abort();
}

Error MapHsmError(const pkcs11::HsmError& error) {
  // The kind leads the detail: Unavailable and Internal share an errorName, not a cause.
  return api::HsmFailure(
      ErrorNameForHsmKind(error.kind),
      std::string(pkcs11::HsmErrorKindName(error.kind)) + ": " + error.ToLogString());
}

Result<void, Problems> HsmKeyBackend::ApplyConfig(const config::HsmConfig& hsm) {
  Problems problems;
  std::set<std::string> rescanned;  // module specs re-enumerated during this call
  TokenMap next;
  std::vector<std::shared_ptr<OpenToken>> kept;  // open already, with the same settings
  std::map<std::string, std::shared_ptr<pkcs11::Module>, std::less<>> modules;
  {
    std::shared_lock lock(mutex_);
    modules = modules_;
  }
  for (std::size_t i = 0; i < hsm.tokens.size(); ++i) {
    const config::TokenConfig& token = hsm.tokens[i];
    const std::string token_path = EntryPath("tokens", static_cast<std::ptrdiff_t>(i));
    const config::ModuleConfig* module_config = hsm.FindModule(token.module_id);
    if (module_config == nullptr) {
      problems.push_back(MakeProblem(token_path + ".module", "unknown module " + token.module_id,
                                     "use an id from hsm.modules"));
      continue;
    }
    const std::string module_path = EntryPath("modules", module_config - hsm.modules.data());
    const std::string fingerprint = Fingerprint(*module_config, token);
    if (auto existing = FindToken(token.id); existing && existing->fingerprint == fingerprint) {
      kept.push_back(existing);
      next.emplace(token.id, std::move(existing));
      continue;
    }
    auto& module = modules[module_config->module];
    if (module &&
        pkcs11::ConfigOf(*module).initialize_parameters != module_config->initialize_parameters) {
      // The loaded module keeps the parameters of its C_Initialize (a second one in the same
      // process is refused as already initialized), so new ones need a new process.
      problems.push_back(MakeProblem(module_path + ".initialize_parameters",
                                     "changed while module " + module_config->id + " is loaded",
                                     "restart the proxy to apply them"));
      continue;
    }
    if (!module) {
      pkcs11::ModuleConfig module_options;
      module_options.module = module_config->module;
      module_options.hsm_generates_gcm_iv = module_config->generate_iv_in_hsm;
      module_options.initialize_parameters = module_config->initialize_parameters;
      auto opened = pkcs11::OpenModule(module_options);
      if (!opened.ok()) {
        problems.push_back(MakeProblem(module_path + ".module", opened.error().ToLogString()));
        modules.erase(module_config->module);
        continue;
      }
      module = std::move(opened).value();
    }
    auto client = OpenTokenClient(token, module, module_config->module, rescanned);
    if (!client.ok()) {
      problems.push_back(MakeProblem(token_path, client.error().ToLogString()));
      continue;
    }
    next.emplace(token.id, MakeOpenToken(token, *module, std::move(client).value(), fingerprint));
  }
  if (!problems.empty()) return Fail(std::move(problems));
  std::unique_lock lock(mutex_);
  tokens_.swap(next);
  modules_ = std::move(modules);
  lock.unlock();
  // Tokens no longer configured (or reopened) go here, outside the lock: stopping an executor
  // answers its queued work, which must be free to look tokens up.
  next.clear();
  // A reload is how a rotation, a disable or a shred reaches the proxy: the kept tokens drop
  // their key handles and session copies, so no copy of a key destroyed since outlives it here.
  for (const auto& open : kept) open->client->ForgetKeys();
  return {};
}

std::shared_ptr<OpenToken> HsmKeyBackend::FindToken(std::string_view token_id) const {
  std::shared_lock lock(mutex_);
  auto it = tokens_.find(token_id);
  return it == tokens_.end() ? nullptr : it->second;
}

ProxyResult<std::shared_ptr<OpenToken>> HsmKeyBackend::Token(std::string_view token_id) const {
  auto token = FindToken(token_id);
  if (!token) {
    return Fail(
        api::HsmFailure(ErrorName::kInternal, "token " + std::string(token_id) + " is not open"));
  }
  return token;
}

ProxyResult<HsmKeyBackend::Admitted> HsmKeyBackend::Admit(std::string_view token_id,
                                                          api::Deadline deadline) const {
  auto token = Token(token_id);
  if (!token.ok()) return Fail(std::move(token).error());
  StuckCallLimiter& limiter = *(*token)->stuck_calls;
  auto admission = limiter.Admit(deadline, std::chrono::steady_clock::now());
  if (!admission) return Fail(StuckRefusal(token_id, limiter));
  return Admitted{std::move(token).value(), std::move(*admission)};
}

void HsmKeyBackend::Schedule(std::string_view token_id, api::Deadline deadline, HsmWork work) {
  auto token = Token(token_id);
  if (!token.ok()) return work(Fail(std::move(token).error()));
  OpenToken& open = **token;
  const StuckCallLimiter& stuck = *open.stuck_calls;
  if (stuck.Stuck(std::chrono::steady_clock::now()) >= stuck.max_stuck()) {
    // Every session may be held by a hung call: queued work would only wait out its budget.
    return work(Fail(StuckRefusal(open.id, stuck)));
  }
  open.executor->Submit([work = std::move(work), id = open.id](
                            TokenExecutor::Outcome outcome) { work(AdmissionOf(outcome, id)); },
                        deadline);
}

bool HsmKeyBackend::StopExecutors(std::chrono::steady_clock::time_point until) {
  TokenMap tokens;
  {
    std::shared_lock lock(mutex_);
    tokens = tokens_;
  }
  for (auto& [id, token] : tokens) token->executor->Stop();
  bool idle = true;
  for (auto& [id, token] : tokens) idle = token->executor->WaitIdle(until) && idle;
  return idle;
}

ProxyResult<api::KeyAttributes> HsmKeyBackend::Describe(const api::KeyLocation& key,
                                                        api::Deadline deadline) {
  auto admitted = Admit(key.token_id, deadline);
  if (!admitted.ok()) return Fail(std::move(admitted).error());
  auto info = admitted->token->client->DescribeKey(key.key_label, deadline);
  if (!info.ok()) return Fail(MapHsmError(info.error()));
  api::KeyAttributes attributes;
  switch (info->key_type) {
    case pkcs11::KeyType::kAes:
      attributes.key_type = "AES";
      break;
    case pkcs11::KeyType::kEc:
      attributes.key_type = "EC";
      break;
    case pkcs11::KeyType::kRsa:
      attributes.key_type = "RSA";
      break;
    case pkcs11::KeyType::kGenericSecret:
      attributes.key_type = "GENERIC_SECRET";
      break;
    case pkcs11::KeyType::kOther:
      attributes.key_type = "OTHER";
      break;
  }
  attributes.bits = info->value_len * 8;
  attributes.encrypt = info->usage.encrypt;
  attributes.decrypt = info->usage.decrypt;
  attributes.wrap = info->usage.wrap;
  attributes.unwrap = info->usage.unwrap;
  attributes.sign = info->usage.sign;
  attributes.verify = info->usage.verify;
  attributes.derive = info->usage.derive;
  return attributes;
}

ProxyResult<api::SealedData> HsmKeyBackend::Encrypt(const api::KeyLocation& key,
                                                    std::span<const std::uint8_t> plaintext,
                                                    std::span<const std::uint8_t> hsm_aad,
                                                    api::Deadline deadline) {
  auto admitted = Admit(key.token_id, deadline);
  if (!admitted.ok()) return Fail(std::move(admitted).error());
  auto sealed = admitted->token->client->Encrypt(key.key_label, plaintext, hsm_aad, deadline);
  if (!sealed.ok()) return Fail(MapHsmError(sealed.error()));
  return api::SealedData{std::move(sealed->iv), std::move(sealed->ciphertext), sealed->tag};
}

ProxyResult<SecretBytes> HsmKeyBackend::Decrypt(const api::KeyLocation& key,
                                                std::span<const std::uint8_t> iv,
                                                std::span<const std::uint8_t> ciphertext,
                                                std::span<const std::uint8_t> tag,
                                                std::span<const std::uint8_t> hsm_aad,
                                                api::Deadline deadline) {
  auto admitted = Admit(key.token_id, deadline);
  if (!admitted.ok()) return Fail(std::move(admitted).error());
  auto plaintext =
      admitted->token->client->Decrypt(key.key_label, iv, ciphertext, tag, hsm_aad, deadline);
  if (!plaintext.ok()) return Fail(MapHsmError(plaintext.error()));
  return std::move(plaintext).value();
}

ProxyResult<void> HsmKeyBackend::CheckTokenHealth(std::string_view token_id,
                                                  api::Deadline deadline) {
  auto admitted = Admit(token_id, deadline);
  if (!admitted.ok()) return Fail(std::move(admitted).error());
  pkcs11::TokenClient& client = *admitted->token->client;
  const std::string& key = admitted->token->health_check_key;
  static constexpr std::uint8_t kAad[] = {'h', 'e', 'a', 'l', 't', 'h'};
  auto sealed = client.Encrypt(key, kHealthPattern, kAad, deadline);
  if (!sealed.ok()) return Fail(MapHsmError(sealed.error()));
  auto opened = client.Decrypt(key, sealed->iv, sealed->ciphertext, sealed->tag, kAad, deadline);
  if (!opened.ok()) return Fail(MapHsmError(opened.error()));
  if (!std::equal(opened->span().begin(), opened->span().end(), std::begin(kHealthPattern),
                  std::end(kHealthPattern))) {
    return Fail(MakeError(ErrorName::kInternal, "The HSM health check failed",
                          "token " + client.token_label() + ": round trip mismatch"));
  }
  // A key shredded by xksctl without a reload (no --pid-file) must not live on here as a session
  // copy: each deep check drops the copies whose token key is gone.
  auto dropped = client.DropStaleKeyCopies(deadline);
  if (!dropped.ok()) return Fail(MapHsmError(dropped.error()));
  if (dropped.value() > 0) {
    LogWarning("hsm", "token " + admitted->token->id + ": " + std::to_string(dropped.value()) +
                          " session key copies dropped: their token keys are gone");
  }
  return {};
}

std::string HsmKeyBackend::TokenModel(std::string_view token_id) {
  auto token = FindToken(token_id);
  return token ? token->model : "unavailable";
}

}  // namespace xks::runtime
