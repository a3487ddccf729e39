#include "pkcs11/module.h"

#include <dlfcn.h>
#include <p11-kit/p11-kit.h>
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "pkcs11/log.h"
#include "pkcs11/testing.h"

namespace xks::pkcs11 {
namespace {

// PKCS#11 v3.0 types, absent from the v2.40 header p11-kit 0.24 ships. The v3.0 function list
// starts with the v2.40 list, so the v2.40 prefix is used as is and only C_SessionCancel is read
// beyond it.
struct CkInterface30 {
  CK_UTF8CHAR* name;
  void* function_list;
  CK_FLAGS flags;
};
using GetInterfaceFn = CK_RV (*)(CK_UTF8CHAR*, CK_VERSION*, CkInterface30**, CK_FLAGS);
struct FunctionList30 {
  CK_FUNCTION_LIST v240;
  void* get_interface_list;
  void* get_interface;
  void* login_user;
  CK_RV (*session_cancel)(CK_SESSION_HANDLE, CK_FLAGS);
};
constexpr CK_FLAGS kCkfEncrypt = 0x100, kCkfDecrypt = 0x200, kCkfSign = 0x800;

bool LooksLikePath(const std::string& s) { return s.find('/') != std::string::npos; }

// Resolves a p11-kit module name ("softhsm2") to its file through p11-kit's registry.
HsmResult<std::string> ResolveP11KitName(const std::string& name) {
  CK_FUNCTION_LIST** modules = p11_kit_modules_load(nullptr, P11_KIT_MODULE_UNMANAGED);
  if (modules == nullptr) {
    return Fail(
        MakeHsmError(HsmErrorKind::kUnavailable, "p11-kit could not load its module registry"));
  }
  std::string path;
  if (CK_FUNCTION_LIST* m = p11_kit_module_for_name(modules, name.c_str())) {
    if (char* file = p11_kit_module_get_filename(m)) {
      path = file;
      std::free(file);
    }
  }
  p11_kit_modules_release(modules);
  if (path.empty()) {
    return Fail(MakeHsmError(HsmErrorKind::kNotFound,
                             "no p11-kit module registered under the name '" + name + "'"));
  }
  return path;
}

template <typename T>
T Symbol(void* library, const char* name) {
  // dlsym returns void*; converting to a function pointer is conditionally supported and is what
  // every PKCS#11 loader does.
  return reinterpret_cast<T>(dlsym(library, name));
}

}  // namespace

const ModuleConfig& ConfigOf(const Module& module) { return module.config(); }

HsmResult<void> RescanTokens(Module& module) { return module.Reinitialize(module.generation()); }

HsmResult<std::shared_ptr<Module>> OpenModule(const ModuleConfig& config) {
  auto loaded = Module::Load(config);
  if (!loaded.ok()) return Fail(std::move(loaded).error());
  return std::move(loaded).value();
}

HsmResult<std::shared_ptr<Module>> Module::Load(const ModuleConfig& config) {
  std::string path = config.module;
  if (path.empty()) return Fail(MakeHsmError(HsmErrorKind::kInvalidArgument, "no module given"));
  if (!LooksLikePath(path)) {
    auto resolved = ResolveP11KitName(path);
    if (!resolved.ok()) return Fail(std::move(resolved).error());
    path = std::move(resolved).value();
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Fail(MakeHsmError(HsmErrorKind::kNotFound, "module file not found: " + path));
  }

  std::shared_ptr<Module> module(new Module());
  module->config_ = config;
  module->path_ = path;
  // RTLD_NODELETE: a module is finalized when unused but its code stays mapped. Modules may leave
  // helper threads or atexit handlers behind (NSS's softokn and NSPR do), which would run unmapped
  // code after an unload; and leak checkers can only attribute a module's allocations while its
  // symbols are still there.
  module->library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (module->library_ == nullptr) {
    const char* why = dlerror();
    return Fail(MakeHsmError(HsmErrorKind::kUnavailable,
                             "dlopen failed for " + path + ": " + (why ? why : "unknown")));
  }

  if (auto get_interface = Symbol<GetInterfaceFn>(module->library_, "C_GetInterface")) {
    CkInterface30* iface = nullptr;
    CK_UTF8CHAR name[] = "PKCS 11";
    if (get_interface(name, nullptr, &iface, 0) == CKR_OK && iface != nullptr &&
        iface->function_list != nullptr) {
      auto* list = static_cast<CK_FUNCTION_LIST*>(iface->function_list);
      module->functions_ = list;
      module->interface_version_ = list->version;
      if (list->version.major >= 3) {
        module->session_cancel_ =
            static_cast<FunctionList30*>(iface->function_list)->session_cancel;
      }
    }
  }
  if (module->functions_ == nullptr) {
    auto get_list = Symbol<CK_C_GetFunctionList>(module->library_, "C_GetFunctionList");
    if (get_list == nullptr) {
      return Fail(MakeHsmError(HsmErrorKind::kUnavailable,
                               "not a PKCS#11 module (no C_GetFunctionList): " + path));
    }
    auto got = CkCall("C_GetFunctionList", get_list, &module->functions_);
    if (!got.ok()) return Fail(std::move(got).error());
    if (module->functions_ == nullptr) {
      return Fail(MakeHsmError(HsmErrorKind::kInternal, "C_GetFunctionList returned no list"));
    }
    module->interface_version_ = module->functions_->version;
  }

  {
    std::unique_lock lock(module->mu_);
    auto init = module->InitializeLocked();
    if (!init.ok()) return Fail(std::move(init).error());
  }
  // Known quirks by module identity, unless the configuration decides.
  CK_INFO info{};
  const bool is_softhsm = XKS_CK(*module, C_GetInfo, &info).ok() &&
                          std::string_view(reinterpret_cast<const char*>(info.manufacturerID),
                                           sizeof info.manufacturerID)
                              .starts_with("SoftHSM");
  module->general_error_is_bad_ciphertext_ =
      config.decrypt_general_error_is_bad_ciphertext.value_or(is_softhsm);
  return module;
}

HsmResult<void> Module::InitializeLocked() {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  // The module reads the string during C_Initialize only; config_ outlives the call.
  if (!config_.initialize_parameters.empty()) {
    args.pReserved = const_cast<char*>(config_.initialize_parameters.c_str());
  }
  const CK_RV rv = functions_->C_Initialize(&args);
  if (rv == CKR_OK) {
    initialized_by_us_ = true;
    return {};
  }
  // Someone else in the process initialized it; usable, but not ours to finalize at exit.
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) return {};
  LogCkFailure("C_Initialize", rv);
  return Fail(ErrorFromCkRv("C_Initialize", rv));
}

Module::~Module() {
  if (library_ == nullptr) return;
  if (functions_ != nullptr && initialized_by_us_) {
    (void)CkCall("C_Finalize", functions_->C_Finalize, nullptr);
  }
  dlclose(library_);
}

bool Module::CancelOperations(CK_SESSION_HANDLE session) {
  if (session_cancel_ == nullptr) return false;
  std::shared_lock lock(mu_);
  return CkCall("C_SessionCancel", session_cancel_, session, kCkfEncrypt | kCkfDecrypt | kCkfSign)
      .ok();
}

HsmResult<void> Module::Reinitialize(std::uint64_t seen_generation) {
  std::unique_lock lock(mu_);
  if (generation_.load(std::memory_order_acquire) != seen_generation) return {};
  LogLine("pkcs11: re-initializing module " + path_);
  // The result is irrelevant: after a device error or an outside C_Finalize it fails, and the
  // module is initialized afresh either way.
  const CK_RV rv = functions_->C_Finalize(nullptr);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_NOT_INITIALIZED) LogCkFailure("C_Finalize", rv);
  auto init = InitializeLocked();
  // Bump even on failure: every handle from before is invalid now.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return init;
}

void Module::FinalizeUnderneathForTesting() {
  std::unique_lock lock(mu_);
  (void)functions_->C_Finalize(nullptr);
}

void Module::InjectFaultsForTesting(CK_RV rv, int count, std::string function) {
  std::unique_lock lock(mu_);
  injected_function_ = std::move(function);
  injected_rv_.store(rv);
  injected_faults_.store(count);
}

void FinalizeModuleUnderneathForTesting(Module& module) { module.FinalizeUnderneathForTesting(); }
void InjectCkRvForTesting(Module& module, unsigned long ck_rv, int count,
                          std::string_view function) {
  module.InjectFaultsForTesting(ck_rv, count, std::string(function));
}
std::uint64_t ModuleGenerationForTesting(const Module& module) { return module.generation(); }

}  // namespace xks::pkcs11
