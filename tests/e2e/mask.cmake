# Masked and read-only paths (issue 20), as root: what `run`'s commands cannot do to them,
# a hostile image whose masked path is a symlink out of it, and every op failing in turn.
# Needs root; fails without it under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_mask
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/mask_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_mask PROPERTIES LABELS "e2e;privileged;hostile" TIMEOUT 300)
