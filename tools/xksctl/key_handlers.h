#pragma once
// The `xksctl key` command handlers that KeyCommands() (key_commands.cc) lists, one family per
// file.

#include "tools/xksctl/arg_parser.h"
#include "tools/xksctl/cli.h"

namespace xks::xksctl::keys {

// key_create_commands.cc
int RunKeyCreate(Context& ctx, const ParsedArgs& args);
int RunKeyRotate(Context& ctx, const ParsedArgs& args);

// key_report_commands.cc
int RunKeyList(Context& ctx, const ParsedArgs& args);
int RunKeyVersions(Context& ctx, const ParsedArgs& args);

// key_state_commands.cc
int SetKeyDisabled(Context& ctx, const ParsedArgs& args, bool disabled);
int RunKeyRetireVersion(Context& ctx, const ParsedArgs& args);

// key_import_commands.cc
int RunKeyImportParams(Context& ctx, const ParsedArgs& args);
int RunKeyImport(Context& ctx, const ParsedArgs& args);

}  // namespace xks::xksctl::keys
