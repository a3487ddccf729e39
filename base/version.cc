#include "base/version.h"

// Generated at configure time into the build tree (cmake/XksVersion.cmake): this file is the only
// one that includes it, so a new revision recompiles one file, not every program.
#include "base/version_info.h"

namespace xks {

std::string_view ProjectVersion() { return kVersionInfoProject; }

std::string_view SourceRevision() { return kVersionInfoRevision; }

std::string VersionLine(std::string_view program) {
  std::string line(program);
  line += ' ';
  line += ProjectVersion();
  if (!SourceRevision().empty()) {
    line += " (";
    line += SourceRevision();
    line += ')';
  }
  return line;
}

}  // namespace xks
