# Issue 17's target matrix: seven kinds of target x the sandbox and a hot-add layout,
# the verdict each cell must give, applied for real. Needs root (and runc); fails without
# them under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_matrix
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/matrix_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_matrix PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
