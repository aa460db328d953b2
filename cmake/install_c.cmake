# `cmake --install` of the C library (docs/library.md), component c_library:
#
#   lib/librootfsctl.so.0.1.0, .so.0 (SONAME), .so     the C API only
#   include/rootfsctl/rootfsctl.h                      #include <rootfsctl/rootfsctl.h>
#   lib/cmake/rootfsctl-c/                             find_package(rootfsctl-c): rootfsctl::c
#   lib/pkgconfig/rootfsctl-c.pc                       pkg-config --cflags --libs rootfsctl-c
#   libexec/rootfsctl/rootfsctl-nshelper               enters user namespaces for the library
#                                                      and the CLI (docs/architecture.md §4)
#
# Unlike the rest of the tree (cmake/install.cmake), a sanitizer build installs this too:
# the sanitizer phase runs the C proof program (tests/capi) against an installed,
# instrumented library, as the normal phase does with the real one.
if(ROOTFSCTL_FUZZ)
  return()
endif()
include(CMakePackageConfigHelpers)

install(FILES ${PROJECT_SOURCE_DIR}/include/rootfsctl/rootfsctl.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rootfsctl COMPONENT c_library)
file(RELATIVE_PATH rootfsctl_c_pc_to_prefix /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" rootfsctl_pc_to_prefix "${rootfsctl_c_pc_to_prefix}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/rootfsctl-c.pc.in ${PROJECT_BINARY_DIR}/rootfsctl-c.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rootfsctl-c.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT c_library)

# The library finds the helper relative to itself (exec/nshelper_path.h); the CLI, whose
# full install includes this component, relative to itself.
install(TARGETS rootfsctl-nshelper RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/rootfsctl
        COMPONENT c_library)

# A sanitizer build's modules link the sanitizer options object (cmake/sanitizers.cmake),
# which no export set can carry: it installs the library without the CMake package.
if(ROOTFSCTL_SANITIZE)
  install(TARGETS rootfsctl_c LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT c_library
                                      NAMELINK_COMPONENT c_library)
  return()
endif()
install(TARGETS rootfsctl_c EXPORT rootfsctlCTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT c_library
                NAMELINK_COMPONENT c_library)
set(rootfsctl_c_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/rootfsctl-c)
install(EXPORT rootfsctlCTargets NAMESPACE rootfsctl:: FILE rootfsctl-cTargets.cmake
        DESTINATION ${rootfsctl_c_cmake_dir} COMPONENT c_library)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rootfsctl-cConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/rootfsctl-cConfig.cmake
                              INSTALL_DESTINATION ${rootfsctl_c_cmake_dir})
# The soname is the ABI's promise (docs/stability.md); the version file only gates what a
# caller asks for, so any 0.x satisfies a request for 0.x.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rootfsctl-cConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rootfsctl-cConfig.cmake
              ${PROJECT_BINARY_DIR}/rootfsctl-cConfigVersion.cmake
        DESTINATION ${rootfsctl_c_cmake_dir} COMPONENT c_library)
