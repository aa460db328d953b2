# Idmapped binds (issue 20) into a child mapped 0 100000 65536: owners seen inside and
# created outside, refusals before op 1, a fault at every op. Needs root; fails without it
# under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_idmap
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/idmap_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_idmap PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
