# xks_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...])
# One GoogleTest executable, each TEST registered with CTest. Every test gets the paths it needs
# through the environment so it never depends on the working directory.
function(xks_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  xks_use_pch(${ARG_NAME} TEST)
  # Its own folder (test-local headers); everything else through the libraries it links.
  xks_private_headers(${ARG_NAME})
  target_compile_definitions(${ARG_NAME} PRIVATE
    XKS_REFERENCE_DIR="${XKS_REFERENCE_DIR}"
    XKS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    XKS_BINARY_DIR="${PROJECT_BINARY_DIR}"
    XKS_SOFTHSM_MODULE="${XKS_SOFTHSM_MODULE}")
  # One label per test: PRE_TEST discovery re-parses PROPERTIES, so list values would split into
  # extra key/value pairs. Sanitizer options come from the environment (tools/test.sh exports them).
  list(LENGTH ARG_LABELS label_count)
  if(label_count GREATER 1)
    message(FATAL_ERROR "xks_add_test(${ARG_NAME}): give one label, not ${ARG_LABELS}")
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 600)
endfunction()
