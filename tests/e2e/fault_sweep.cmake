# Fault sweeps for real (issue 6): every op of every bundled profile failing in turn
# (`--fail-at K`) into a fresh parked child rolls back to the same table (root).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_fault_sweep
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fault_sweep_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_fault_sweep PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
