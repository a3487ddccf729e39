# Precompiled headers, shared by every target.
# Most of the build is GCC re-parsing the same third-party headers in each translation unit:
# nlohmann/json (pulled in by the tenant, API, audit and xksctl headers) and GoogleTest/GoogleMock
# (every test file). Two donor targets each build one PCH; every other target reuses one of them
# (REUSE_FROM), so each header set is parsed once per configuration instead of once per file.
#  - xks_pch:      standard library + nlohmann/json, for libraries and programs;
#  - xks_pch_test: the same + gtest/gmock, for test executables (xks_add_test) and test helpers.
# Reusing a PCH is only valid with the same compiler flags; all targets share the project-wide
# flags (warnings, sanitizers) and none of the per-target macros is used by these headers. CMake
# passes -Winvalid-pch, which -Werror turns into an error, so a mismatch fails the build loudly.
# Configure with -DXKS_PCH=OFF to check that each file still includes what it uses.
option(XKS_PCH "Use precompiled headers (faster builds)" ON)

set(xks_pch_headers
  <algorithm> <array> <atomic> <chrono> <condition_variable> <cstddef> <cstdint> <cstdio>
  <cstdlib> <cstring> <filesystem> <fstream> <functional> <map> <memory> <mutex> <optional>
  <set> <span> <sstream> <string> <string_view> <thread> <utility> <vector>
  <nlohmann/json.hpp>)

if(XKS_PCH)
  # A donor needs one source to compile; an empty one is enough.
  set(xks_pch_stub "${PROJECT_BINARY_DIR}/xks_pch_stub.cc")
  file(CONFIGURE OUTPUT "${xks_pch_stub}" CONTENT "// Empty: only its precompiled header is used.\n")

  add_library(xks_pch OBJECT "${xks_pch_stub}")
  target_link_libraries(xks_pch PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(xks_pch PRIVATE ${xks_pch_headers})

  add_library(xks_pch_test OBJECT "${xks_pch_stub}")
  target_link_libraries(xks_pch_test PRIVATE nlohmann_json::nlohmann_json GTest::gtest GTest::gmock)
  target_precompile_headers(xks_pch_test PRIVATE ${xks_pch_headers} <gtest/gtest.h> <gmock/gmock.h>)
endif()

# xks_use_pch(target [TEST]): compile target's files with the shared (test) precompiled header.
function(xks_use_pch target)
  if(NOT XKS_PCH)
    return()
  endif()
  if(ARGN STREQUAL "TEST")
    set_property(TARGET ${target} PROPERTY PRECOMPILE_HEADERS_REUSE_FROM xks_pch_test)
  else()
    set_property(TARGET ${target} PROPERTY PRECOMPILE_HEADERS_REUSE_FROM xks_pch)
  endif()
endfunction()

# xks_use_pch_everywhere(dir): gives every compiled target under dir that has no PCH yet the
# library one, or the test one if it links GoogleTest (test helper libraries). Called once at the
# end of the top-level CMakeLists.txt, so per-directory CMakeLists.txt files need no PCH lines.
function(xks_use_pch_everywhere dir)
  if(NOT XKS_PCH)
    return()
  endif()
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(reuse ${t} PRECOMPILE_HEADERS_REUSE_FROM)
    if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$" AND NOT reuse
       AND NOT t MATCHES "^xks_pch(_test)?$")
      get_target_property(libs ${t} LINK_LIBRARIES)
      if(libs MATCHES "GTest::")
        xks_use_pch(${t} TEST)
      else()
        xks_use_pch(${t})
      endif()
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    xks_use_pch_everywhere("${sub}")
  endforeach()
endfunction()
