# `cmake --install`: the program, its data, its documentation, and the library for other
# CMake and pkg-config projects.
#
#   bin/rootfsctl
#   libexec/rootfsctl/rootfsctl-nshelper     (component c_library, cmake/install_c.cmake)
#   share/rootfsctl/profiles/*.yaml          on the profile search path (docs/layouts.md, composing profiles)
#   share/rootfsctl/layout.schema.json       for editors and other validators
#   share/man/man1/rootfsctl.1, man5/rootfsctl-layout.5
#   share/bash-completion/completions/rootfsctl, share/zsh/site-functions/_rootfsctl
#   share/doc/rootfsctl/{LICENSE,README.md,CHANGELOG.md,docs/*.md}
#   include/rootfsctl/<module>/*.h, lib/librootfsctl_<module>.a
#   lib/cmake/rootfsctl/                     find_package(rootfsctl): rootfsctl::rootfsctl
#                                            (everything) and rootfsctl::<module>
#   lib/pkgconfig/rootfsctl.pc               pkg-config --cflags --libs rootfsctl
#
# The C library (librootfsctl.so.0, rootfsctl.h, rootfsctl-c.pc, find_package(rootfsctl-c))
# is installed by cmake/install_c.cmake.
#
# Sanitizer and fuzz builds link instrumentation objects into every target; they are for
# testing, not for installing, so they install nothing here (a sanitizer build installs
# the C library alone, for its test: cmake/install_c.cmake).
if(ROOTFSCTL_SANITIZE OR ROOTFSCTL_FUZZ)
  return()
endif()
include(CMakePackageConfigHelpers)

install(TARGETS rootfsctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/manifests/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/rootfsctl/profiles FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/schemas/layout.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/rootfsctl)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/rootfsctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/rootfsctl-layout.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/completions/rootfsctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME rootfsctl)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_rootfsctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")

# The library: every module, its public headers, and how to find them. Headers that are
# internal to a module (no public header includes them) stay in the source tree.
set(rootfsctl_internal_headers "")
foreach(header exec_state.h exec_ops.h target_checks.h table_impl.h byte_buffer.h build.h
               checks.h checker.h compose.h fields.h schema_check.h schema_annotations.h vars.h)
  list(APPEND rootfsctl_internal_headers PATTERN ${header} EXCLUDE)
endforeach()
get_property(rootfsctl_modules GLOBAL PROPERTY ROOTFSCTL_MODULES)
string(REPLACE ";" "|" rootfsctl_modules_regex "${rootfsctl_modules}")
set(rootfsctl_module_targets "")
set(rootfsctl_pc_libs "")
foreach(module IN LISTS rootfsctl_modules)
  list(APPEND rootfsctl_module_targets rootfsctl_${module})
  # Dependents before their dependencies, as a static link line wants them.
  string(PREPEND rootfsctl_pc_libs " -lrootfsctl_${module}")
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/${module}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rootfsctl/${module} FILES_MATCHING PATTERN "*.h"
          ${rootfsctl_internal_headers})
endforeach()
# In the source tree the modules include each other as "core/error.h" (-Isrc). Installed,
# those become paths relative to the including header ("../core/error.h"): a quoted
# include looks beside its own file first, so a consumer's own core/error.h, or any -I
# order, can never stand in for rootfsctl's. Consumers write <rootfsctl/plan/planner.h>.
install(CODE "
  file(GLOB_RECURSE rootfsctl_installed_headers
       \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_INCLUDEDIR}/rootfsctl/*/*.h\")
  foreach(header IN LISTS rootfsctl_installed_headers)
    file(READ \"\${header}\" text)
    string(REGEX REPLACE
           \"#include \\\"(${rootfsctl_modules_regex})/\" \"#include \\\"../\\\\1/\" text \"\${text}\")
    file(WRITE \"\${header}\" \"\${text}\")
  endforeach()
")
install(TARGETS ${rootfsctl_module_targets} rootfsctl_lib EXPORT rootfsctlTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(rootfsctl_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/rootfsctl)
install(EXPORT rootfsctlTargets NAMESPACE rootfsctl:: DESTINATION ${rootfsctl_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rootfsctlConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/rootfsctlConfig.cmake
                              INSTALL_DESTINATION ${rootfsctl_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rootfsctlConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rootfsctlConfig.cmake
              ${PROJECT_BINARY_DIR}/rootfsctlConfigVersion.cmake
        DESTINATION ${rootfsctl_cmake_dir})

# pkg-config: prefix is found from the .pc file's own place, so the tree can be installed
# with --prefix at install time or moved.
file(RELATIVE_PATH rootfsctl_pc_to_prefix
     /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" rootfsctl_pc_to_prefix "${rootfsctl_pc_to_prefix}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/rootfsctl.pc.in ${PROJECT_BINARY_DIR}/rootfsctl.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rootfsctl.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
