# One static library per source module (src/<name>/*.cc). Files are found by glob so a new
# .cc joins its module without editing build files; CONFIGURE_DEPENDS re-runs the glob.
# Installed, a module is the imported target rootfsctl::<name> (cmake/install.cmake), its
# headers under include/rootfsctl/<name>/, included as <rootfsctl/<name>/...>. Modules are recorded in the order they are
# defined, which puts every module after the ones it depends on.
function(rootfsctl_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cc)
  add_library(rootfsctl_${name} STATIC ${sources})
  add_library(rootfsctl::${name} ALIAS rootfsctl_${name})
  # Position-independent: the shared C library (src/capi) is linked from these archives.
  set_target_properties(rootfsctl_${name} PROPERTIES EXPORT_NAME ${name}
                                                     POSITION_INDEPENDENT_CODE ON)
  target_include_directories(rootfsctl_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(rootfsctl_${name} PUBLIC ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY ROOTFSCTL_MODULES ${name})
endfunction()

# One GoogleTest executable per test module (tests/unit/<name>/*_test.cc), so a module's
# tests build without compiling the others'.
function(rootfsctl_unit_tests name)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${name}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(unit_${name} ${sources})
  target_include_directories(unit_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/tests/support)
  target_link_libraries(unit_${name} PRIVATE ${T_DEPS} GTest::gtest_main GTest::gmock)
  # Test code compiles unoptimised in every build (the libraries under test keep the
  # build's level) and parses GoogleTest's headers once per module: compiling the tests
  # was half of the normal build's time, and -O2 doubled it for code that runs for
  # milliseconds. The fault sweep is the exception: its 40,000 applies through the
  # syscall fake take 12 s at the build's level and 51 s unoptimised.
  target_compile_options(unit_${name} PRIVATE -O0)
  target_precompile_headers(unit_${name} PRIVATE <gmock/gmock.h> <gtest/gtest.h>)
  foreach(source IN LISTS sources)
    if(source MATCHES "/fault_sweep_test\\.cc$" AND NOT ROOTFSCTL_SANITIZE)
      set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS -O2
                                                       SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
  target_compile_definitions(unit_${name} PRIVATE
    ROOTFSCTL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(NOT ROOTFSCTL_SANITIZE)
    gtest_discover_tests(unit_${name} PROPERTIES LABELS "unit" DISCOVERY_TIMEOUT 60)
    return()
  endif()
  # Sanitizer builds run each module's tests in one process: an instrumented program pays
  # for its start and its exit-time leak scan (tens of milliseconds each), which over 850
  # one-test processes was 250 s of CI's time for no extra check. The normal build keeps
  # one ctest test per GoogleTest test. Tests that bound their own CPU time
  # (tests/unit/layout/hostile_test.cc) get four times the budget here, and the
  # double-fault matrix of the fault sweep takes every fourth undo call after the first
  # few (tests/unit/exec/fault_sweep_test.cc), since it runs unoptimised and instrumented.
  add_test(NAME unit_${name} COMMAND unit_${name})
  set_tests_properties(unit_${name} PROPERTIES LABELS "unit" TIMEOUT 900 ENVIRONMENT
                       "ROOTFSCTL_TEST_TIME_SCALE=4;ROOTFSCTL_UNDO_MATRIX_STRIDE=4")
endfunction()
