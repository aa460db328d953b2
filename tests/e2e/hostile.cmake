# The hostile suite (issue 6): images, targets and callers that try to make rootfsctl
# mount or write outside the new root, in parked children (root and rootless); and
# targets that die or are replaced mid-apply, through the library (C++, progress
# callback). Needs root; skips without it, fails without it under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_hostile
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_hostile PROPERTIES LABELS "e2e;privileged;hostile" TIMEOUT 300)

add_executable(e2e_hostile_exit ${CMAKE_CURRENT_LIST_DIR}/hostile_exit_test.cc)
target_include_directories(e2e_hostile_exit PRIVATE ${PROJECT_SOURCE_DIR}/tests
                           ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e2e_hostile_exit PRIVATE rootfsctl_exec GTest::gtest_main)
add_test(NAME e2e_hostile_exit COMMAND e2e_hostile_exit)
set_tests_properties(e2e_hostile_exit PROPERTIES LABELS "e2e;privileged;hostile" TIMEOUT 300)
