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
  target_compile_definitions(unit_${name} PRIVATE
    ROOTFSCTL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Tests that bound their own CPU time (tests/unit/layout/hostile_test.cc) get four times
  # the budget in sanitizer builds, which run unoptimised and instrumented.
  set(environment "")
  if(ROOTFSCTL_SANITIZE)
    set(environment ENVIRONMENT ROOTFSCTL_TEST_TIME_SCALE=4)
  endif()
  gtest_discover_tests(unit_${name} PROPERTIES LABELS "unit" ${environment}
                       DISCOVERY_TIMEOUT 60)
endfunction()
