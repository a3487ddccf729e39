#include <cstdlib>
#include <iostream>
#include <sstream>

#include "base/version.h"
#include "tools/xksctl/commands.h"

namespace xks::xksctl {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group :
       {ConfigCommands, TokenCommands, TenantCommands, KeyCommands, CredentialCommands,
        FleetCommands, PolicyCommands, AuditCommands, HealthCommands, StatusCommands}) {
    for (auto& c : group()) all.push_back(std::move(c));
  }
  return all;
}

std::string CommandWords(const Command& c) {
  return c.name.empty() ? c.group : c.group + " " + c.name;
}

std::string Overview(const std::vector<Command>& all, const std::string& group) {
  std::ostringstream o;
  o << "usage: xksctl [--config FILE] [--pid-file FILE] [--json] "
    << (group.empty() ? "GROUP COMMAND" : group + " COMMAND") << " [ARGS] [--help]\n\n"
    << "The operator CLI of xks-hsm-proxy. Commands:\n";
  for (const auto& c : all) {
    if (!group.empty() && c.group != group) continue;
    o << "  xksctl " << CommandWords(c) << " " << c.synopsis << "\n";
  }
  o << "\nGlobal options:\n"
    << FormatOptions(GlobalOptions()) << "\n`xksctl --version` prints the version.\n"
    << "\nExit codes: 0 success, 1 operation failed, 2 usage error.\n";
  return o.str();
}

std::string CommandHelp(const Command& c) {
  std::ostringstream o;
  o << "usage: xksctl " << CommandWords(c) << " " << c.synopsis << "\n\n" << c.description << "\n";
  if (!c.options.empty()) o << "\nOptions:\n" << FormatOptions(c.options);
  o << "\nGlobal options:\n"
    << FormatOptions(GlobalOptions())
    << "\nExit codes: 0 success, 1 operation failed, 2 usage error.\n";
  return o.str();
}

int ReportError(Context& ctx, const std::string& message, int code) {
  *ctx.err << "xksctl: " << (code == kExitUsage ? "usage error: " : "error: ") << message << "\n";
  if (ctx.json) {
    *ctx.out << nlohmann::json{{"ok", false}, {"exit_code", code}, {"error", message}}.dump()
             << "\n";
  }
  return code;
}

// Pulls the global options before the command words ("xksctl --config F key list t") into `ctx`
// and returns the index of the first command word; after the command words, global options are
// parsed with the command's own options.
std::size_t ParseLeadingGlobalOptions(const std::vector<std::string>& raw, Context& ctx,
                                      bool& help) {
  std::size_t i = 0;
  for (; i < raw.size(); ++i) {
    const std::string& a = raw[i];
    auto value = [&](const std::string& name) {
      if (a.size() > name.size() + 3 && a.compare(0, name.size() + 3, "--" + name + "=") == 0) {
        return a.substr(name.size() + 3);
      }
      if (i + 1 >= raw.size()) throw UsageError("--" + name + " needs a value FILE");
      return raw[++i];
    };
    if (a == "--json") {
      ctx.json = true;
    } else if (a == "--help" || a == "-h" || a == "help") {
      help = true;
    } else if (a.rfind("--config", 0) == 0) {
      ctx.config_path = value("config");
    } else if (a.rfind("--pid-file", 0) == 0) {
      ctx.pid_file = value("pid-file");
    } else if (a.rfind("--", 0) == 0) {
      throw UsageError("unknown global option " + a + " (see xksctl --help)");
    } else {
      break;
    }
  }
  return i;
}

// The command that `args` (command words first) names; nullptr when only its group is named,
// which the caller answers with the group's overview. Throws UsageError for unknown words.
const Command* FindCommand(const std::vector<Command>& all, const std::vector<std::string>& args,
                           bool help) {
  const std::string& group = args[0];
  const Command* cmd = nullptr;
  bool group_known = false;
  for (const auto& c : all) {
    if (c.group != group) continue;
    group_known = true;
    if (c.name.empty() || (args.size() > 1 && args[1] == c.name)) cmd = &c;
  }
  if (!group_known) throw UsageError("unknown command '" + group + "' (see xksctl --help)");
  if (cmd == nullptr && !(help || args.size() == 1 || args[1] == "--help" || args[1] == "help")) {
    throw UsageError("unknown command '" + group + " " + args[1] + "' (see xksctl " + group +
                     " --help)");
  }
  return cmd;
}

// Parses the command's own arguments (and global options after the command words) and runs it.
int RunCommand(const Command& cmd, std::vector<std::string> rest, bool help, Context& ctx) {
  std::ostream& out = *ctx.out;
  if (help) rest.push_back("--help");
  ParsedArgs parsed;
  if (cmd.raw_args) {
    if (rest.size() == 1 && rest[0] == "--help") {
      // The forwarded CLI prints its own detailed usage too.
      out << CommandHelp(cmd) << "\n";
    }
    parsed.positionals_ = rest;
  } else {
    std::vector<OptionSpec> specs = cmd.options;
    for (auto& g : GlobalOptions()) specs.push_back(g);
    parsed = ParseArgs(rest, specs, cmd.min_positional, cmd.max_positional);
    if (parsed.Has("help")) {
      out << CommandHelp(cmd);
      return kExitOk;
    }
    if (parsed.Has("json")) ctx.json = true;
    if (auto c = parsed.Get("config")) ctx.config_path = *c;
    if (auto p = parsed.Get("pid-file")) ctx.pid_file = *p;
  }
  return cmd.run(ctx, parsed);
}

}  // namespace

int RunXksctl(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err) {
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  if (const char* c = std::getenv("XKS_CONFIG")) ctx.config_path = c;
  if (const char* p = std::getenv("XKS_PID_FILE")) ctx.pid_file = p;
  if (raw.size() == 1 && raw[0] == "--version") {
    out << VersionLine("xksctl") << "\n";
    return kExitOk;
  }
  try {
    bool help = false;
    const std::size_t first_word = ParseLeadingGlobalOptions(raw, ctx, help);
    const std::vector<std::string> args(raw.begin() + static_cast<std::ptrdiff_t>(first_word),
                                        raw.end());
    const std::vector<Command> all = AllCommands();
    if (args.empty()) {
      out << Overview(all, "");
      return help ? kExitOk : kExitUsage;
    }
    const Command* cmd = FindCommand(all, args, help);
    if (cmd == nullptr) {
      out << Overview(all, args[0]);
      return kExitOk;
    }
    std::vector<std::string> rest(args.begin() + (cmd->name.empty() ? 1 : 2), args.end());
    return RunCommand(*cmd, std::move(rest), help, ctx);
  } catch (const UsageError& e) {
    return ReportError(ctx, e.what(), kExitUsage);
  } catch (const OperationError& e) {
    return ReportError(ctx, e.what(), kExitFailed);
  } catch (const nlohmann::json::exception& e) {
    // A configuration whose structure is not what xksctl expects (e.g. a string where an object
    // belongs); `config validate` names the problem.
    return ReportError(ctx,
                       std::string("unexpected configuration structure: ") + e.what() +
                           " — run `xksctl config validate`",
                       kExitFailed);
  } catch (const std::exception& e) {
    return ReportError(ctx, e.what(), kExitFailed);
  }
}

}  // namespace xks::xksctl
