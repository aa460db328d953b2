# The command line end to end: exit codes, messages, JSON shapes, determinism, and live
# targets parked in new namespaces (those cases need root; CI is root).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_cli
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_cli PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
