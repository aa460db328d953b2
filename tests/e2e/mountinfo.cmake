# Differential test of the mountinfo parser against util-linux libmount (issue 3).
# The namespace cases need root and run in CI as root; the live case needs nothing.
pkg_check_modules(MOUNT REQUIRED IMPORTED_TARGET mount)

add_executable(e2e_mountinfo_libmount ${CMAKE_CURRENT_LIST_DIR}/mountinfo_libmount_test.cc)
target_include_directories(e2e_mountinfo_libmount PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(e2e_mountinfo_libmount PRIVATE rootfsctl_mountinfo PkgConfig::MOUNT
                      GTest::gtest_main)

add_test(NAME e2e_mountinfo_libmount_namespace
         COMMAND e2e_mountinfo_libmount --gtest_filter=MountinfoLibmountNamespace.*)
set_tests_properties(e2e_mountinfo_libmount_namespace PROPERTIES
                     LABELS "e2e;privileged" TIMEOUT 300)
add_test(NAME e2e_mountinfo_libmount_live
         COMMAND e2e_mountinfo_libmount --gtest_filter=MountinfoLibmountLive.*)
set_tests_properties(e2e_mountinfo_libmount_live PROPERTIES LABELS "e2e" TIMEOUT 60)
