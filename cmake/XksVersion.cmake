# The version every program prints with --version (base/version.h): PROJECT_VERSION, and the
# source revision as `git describe` gives it when CMake configures the build (a tarball without
# .git, or a machine without git, gives an empty revision: the line then has none). Re-running
# CMake refreshes it; a build does not, so a rebuild after a commit keeps the configure-time value.

set(XKS_SOURCE_REVISION "")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --tags
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE XKS_SOURCE_REVISION
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE git_describe_result)
  if(NOT git_describe_result EQUAL 0)
    set(XKS_SOURCE_REVISION "")
  endif()
endif()
message(STATUS "xks-hsm-proxy ${PROJECT_VERSION} revision '${XKS_SOURCE_REVISION}'")

# Into its own tree beside the per-folder include trees (cmake/XksIncludeTrees.cmake); only
# base/version.cc sees it (base/CMakeLists.txt). configure_file rewrites it only when it changes.
set(XKS_GENERATED_INCLUDE_DIR "${PROJECT_BINARY_DIR}/generated")
configure_file("${PROJECT_SOURCE_DIR}/base/version_info.h.in"
               "${XKS_GENERATED_INCLUDE_DIR}/base/version_info.h" @ONLY)
