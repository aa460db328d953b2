# Parity with bubblewrap (issue 18): each scenario under bwrap and under `rootfsctl run`
# with the equivalent options, as root and rootless (nobody through setpriv); the
# intended differences asserted as differences (docs/run.md).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_parity
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/parity_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_parity PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
