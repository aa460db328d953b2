# The everyday surface of issue 22: terminal width, --color, -V, help CMD, option
# suggestions, piped and hostile captures for `mounts`. Unprivileged.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_terminal
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/terminal_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_terminal PROPERTIES LABELS "e2e" TIMEOUT 120)
