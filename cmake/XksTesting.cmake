# xks_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...])
# One GoogleTest executable, each TEST registered with CTest. Every test gets the paths it needs
# through the environment so it never depends on the working directory.
function(xks_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${ARG_NAME} PRIVATE
    XKS_REFERENCE_DIR="${XKS_REFERENCE_DIR}"
    XKS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    XKS_BINARY_DIR="${PROJECT_BINARY_DIR}"
    XKS_SOFTHSM_MODULE="${XKS_SOFTHSM_MODULE}")
  # PROPERTIES takes key/value pairs, so list values must keep their ';' escaped or they would
  # split into extra pairs.
  set(environment
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  string(REPLACE ";" "\\;" environment "${environment}")
  string(REPLACE ";" "\\;" labels "${ARG_LABELS}")
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${labels}" TIMEOUT 600 ENVIRONMENT "${environment}")
endfunction()
