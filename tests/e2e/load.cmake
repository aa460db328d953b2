# Load (issue 6): 1,000 sequential and 32 concurrent applies of the sandbox through the
# library API into parked children, with the caller's fds, threads, mounts and every
# thread's namespace, root and cwd checked. Needs root; fails without it under CI.
add_executable(e2e_load ${CMAKE_CURRENT_LIST_DIR}/load_test.cc)
target_include_directories(e2e_load PRIVATE ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e2e_load PRIVATE rootfsctl_exec rootfsctl_layout GTest::gtest_main)
target_compile_definitions(e2e_load PRIVATE ROOTFSCTL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

add_test(NAME e2e_load COMMAND e2e_load)
# Takes turns with e2e_handles' 10,000-mount apply: see handles.cmake.
set_tests_properties(e2e_load PROPERTIES LABELS "e2e;privileged" TIMEOUT 600
                     RESOURCE_LOCK kernel_namespace_lock)
