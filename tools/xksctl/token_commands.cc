// `xksctl token ...`: initialize and list PKCS#11 tokens without softhsm2-util or pkcs11-tool.

#include <filesystem>
#include <sstream>

#include "base/hex.h"
#include "tools/xksctl/commands.h"
#include "tools/xksctl/hsm_access.h"
#include "tools/xksctl/secrets.h"

namespace xks::xksctl {
namespace {

// Reads the PIN in `path`, or creates the file with a fresh random PIN when it does not exist.
SecretBytes LoadOrCreatePin(const std::string& path, bool& created) {
  created = false;
  if (FileExists(path)) return ReadSecretFile(path);
  SecretBytes pin = NewPin();
  WriteNewSecretFile(path, pin.view());
  created = true;
  return pin;
}

int RunTokenInit(Context& ctx, const ParsedArgs& args) {
  const std::string module_name = args.GetOr("module", "softhsm2");
  const std::string label = args.Require("label");
  const std::string pin_file = std::filesystem::absolute(args.Require("pin-file")).string();
  const std::string so_pin_file =
      std::filesystem::absolute(args.GetOr("so-pin-file", pin_file + ".so")).string();
  auto module = OpenModuleOrThrow(module_name, false, args.GetOr("module-parameters", ""));
  InitializedToken t = InitTokenInFreeSlot(*module, label, pin_file, so_pin_file);
  nlohmann::json data = {
      {"module", module_name},        {"label", t.label},
      {"serial", t.serial},           {"uri", t.uri},
      {"pin_file", t.pin_file},       {"pin_file_created", t.pin_file_created},
      {"so_pin_file", t.so_pin_file}, {"so_pin_file_created", t.so_pin_file_created}};
  std::ostringstream text;
  text << "initialized token '" << t.label << "' (serial " << t.serial << ")\n"
       << "  uri:         " << t.uri << "\n"
       << "  user PIN:    " << t.pin_file << (t.pin_file_created ? " (new)" : " (existing)") << "\n"
       << "  SO PIN:      " << t.so_pin_file << (t.so_pin_file_created ? " (new)" : " (existing)")
       << "\n";
  return Emit(ctx, std::move(data), text.str());
}

int RunTokenList(Context& ctx, const ParsedArgs& args) {
  const std::string module_name = args.GetOr("module", "softhsm2");
  auto module = OpenModuleOrThrow(module_name, false, args.GetOr("module-parameters", ""));
  auto slots = pkcs11::ListSlots(*module);
  if (!slots.ok()) ThrowHsm("cannot list slots", slots.error());
  nlohmann::json list = nlohmann::json::array();
  std::ostringstream text;
  text << "SLOT        INITIALIZED  LABEL                             SERIAL\n";
  for (const auto& s : slots.value()) {
    list.push_back({{"slot_id", s.slot_id},
                    {"initialized", s.token_initialized},
                    {"label", s.token_label},
                    {"serial", s.token_serial},
                    {"model", s.token_model},
                    {"manufacturer", s.manufacturer}});
    std::string slot = std::to_string(s.slot_id);
    std::string label = s.token_initialized ? s.token_label : "-";
    text << slot << std::string(slot.size() < 12 ? 12 - slot.size() : 1, ' ')
         << (s.token_initialized ? "yes          " : "no           ") << label
         << std::string(label.size() < 34 ? 34 - label.size() : 1, ' ') << s.token_serial << "\n";
  }
  return Emit(ctx, {{"module", module_name}, {"slots", list}}, text.str());
}

}  // namespace

std::string PercentEncode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      AppendHexByte(out, c, /*upper=*/true);
    }
  }
  return out;
}

InitializedToken InitTokenInFreeSlot(pkcs11::Module& module, const std::string& label,
                                     const std::string& pin_file, const std::string& so_pin_file) {
  if (label.empty() || label.size() > 32) {
    throw UsageError("--label must be 1..32 bytes (PKCS#11 token label)");
  }
  if (pin_file == so_pin_file) throw UsageError("--pin-file and --so-pin-file must differ");
  auto slots = pkcs11::ListSlots(module);
  if (!slots.ok()) ThrowHsm("cannot list slots", slots.error());
  for (const auto& s : slots.value()) {
    // Two tokens with one label would make "pkcs11:token=<label>" ambiguous for the proxy.
    if (s.token_initialized && s.token_label == label) {
      throw OperationError("a token labelled '" + label + "' already exists (slot " +
                           std::to_string(s.slot_id) + ", serial " + s.token_serial +
                           ") — choose another label or bind it with --token-label/--token-uri");
    }
  }
  InitializedToken out;
  out.label = label;
  out.pin_file = pin_file;
  out.so_pin_file = so_pin_file;
  // The PIN files are written before C_InitToken so an initialized token never exists whose PIN
  // was lost.
  SecretBytes user_pin = LoadOrCreatePin(pin_file, out.pin_file_created);
  SecretBytes so_pin = LoadOrCreatePin(so_pin_file, out.so_pin_file_created);
  auto serial = pkcs11::InitToken(module, label, so_pin, user_pin);
  if (!serial.ok()) ThrowHsm("cannot initialize token '" + label + "'", serial.error());
  out.serial = serial.value();
  out.uri = "pkcs11:token=" + PercentEncode(label) + ";serial=" + PercentEncode(out.serial);
  return out;
}

std::vector<Command> TokenCommands() {
  std::vector<Command> cmds;
  cmds.push_back(
      {"token",
       "init",
       "--label L --pin-file F [--so-pin-file F] [--module softhsm2|PATH]",
       "Initializes a token in a free slot (C_InitToken, C_InitPIN). PIN files that do not exist "
       "are created with mode 0600 and a fresh 128-bit random PIN (32 hex characters); existing "
       "ones are used. The SO PIN file defaults to <pin-file>.so.",
       {{"module", "M", "PKCS#11 module: p11-kit name or library path (default softhsm2)"},
        {"module-parameters", "P", "C_Initialize parameters (NSS softokn; see tenant add)"},
        {"label", "L", "token label, 1..32 bytes (required)"},
        {"pin-file", "F", "user PIN file (required; created if missing)"},
        {"so-pin-file", "F",
         "security officer PIN file (default <pin-file>.so; created if missing)"}},
       0,
       0,
       RunTokenInit});
  cmds.push_back(
      {"token",
       "list",
       "[--module softhsm2|PATH]",
       "Lists the module's slots and their tokens (initialized or free).",
       {{"module", "M", "PKCS#11 module (default softhsm2)"},
        {"module-parameters", "P", "C_Initialize parameters (NSS softokn; see tenant add)"}},
       0,
       0,
       RunTokenList});
  return cmds;
}

}  // namespace xks::xksctl
