# The executor's plumbing for real (issue 4): pinning, entering namespaces from a thread
# or the namespace helper (rootless too), and the mount API, in children parked in new
# namespaces. Needs root; skips without it, fails without it under CI.
add_executable(e2e_exec_plumbing ${CMAKE_CURRENT_LIST_DIR}/exec_plumbing_test.cc)
target_include_directories(e2e_exec_plumbing PRIVATE ${PROJECT_SOURCE_DIR}/tests
                           ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e2e_exec_plumbing PRIVATE rootfsctl_exec GTest::gtest_main)
target_compile_definitions(e2e_exec_plumbing PRIVATE
  ROOTFSCTL_NSHELPER_TEST_PATH="$<TARGET_FILE:rootfsctl-nshelper>")
add_dependencies(e2e_exec_plumbing rootfsctl-nshelper)

add_test(NAME e2e_exec_plumbing COMMAND e2e_exec_plumbing)
set_tests_properties(e2e_exec_plumbing PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
