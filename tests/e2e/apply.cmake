# `apply --pid` for real in parked children (root), including a rollback at every op.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_apply
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/apply_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_apply PROPERTIES LABELS "e2e;privileged" TIMEOUT 900)
