# Union directories (overlay entries) for real: parked children, a new root, `run` as root
# and rootless, a rollback at every op, capture and verify.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_overlay
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/overlay_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_overlay PROPERTIES LABELS "e2e;privileged" TIMEOUT 900)
