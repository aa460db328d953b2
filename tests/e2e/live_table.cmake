# listmount(2)/statmount(2) against /proc/N/mountinfo on real namespaces (issue 7): the
# two live-table readers must agree entry by entry. Needs root; fails without it under CI.
add_executable(e2e_live_table ${CMAKE_CURRENT_LIST_DIR}/live_table_test.cc)
target_include_directories(e2e_live_table PRIVATE ${PROJECT_SOURCE_DIR}/tests
                           ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e2e_live_table PRIVATE rootfsctl_mountinfo GTest::gtest_main)

add_test(NAME e2e_live_table COMMAND e2e_live_table)
set_tests_properties(e2e_live_table PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
