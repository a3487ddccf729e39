#pragma once
// The project's version, for every program's --version. The values are written once, by CMake
// (cmake/XksVersion.cmake generates base/version_info.h from project() and `git describe`).

#include <string>
#include <string_view>

namespace xks {

/// PROJECT_VERSION of the top-level CMakeLists.txt, e.g. "0.1.0".
std::string_view ProjectVersion();

/// `git describe --always --dirty` of the source tree when CMake configured the build; empty
/// when it was not a git checkout (a source tarball) or git was missing.
std::string_view SourceRevision();

/// The --version line: "<program> <version> (<revision>)", or "<program> <version>" without a
/// revision. No trailing newline.
std::string VersionLine(std::string_view program);

}  // namespace xks
