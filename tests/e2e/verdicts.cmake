# The dry-run verdict is the apply verdict: plan --pid, apply --dry-run and apply agree on
# a matrix of live targets and layouts. As root, in parked children.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_verdicts
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/verdicts_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_verdicts PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
