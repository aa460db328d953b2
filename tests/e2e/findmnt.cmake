# `rootfsctl mounts` against findmnt, column by column, on tables built in a private mount
# namespace (issue 22). Needs root; CI is root.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_findmnt
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/findmnt_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_findmnt PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
