# Crash recovery for real (issue 17): rootfsctl killed before and after every op of a
# small layout (and a sample of the sandbox's, the pivot ritual included), then
# `rootfsctl rollback`, gives back the target's table as it was. Needs root.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_crash
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/crash_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_crash PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
