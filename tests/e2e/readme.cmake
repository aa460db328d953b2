# The README as a front page: its first command (scripts/quickstart.sh) assembles a sandbox
# and prints the table from inside it, and every other example runs as written. As root
# (parked children); the quickstart builds only the binary, into a directory of its own.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_readme
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/readme_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(e2e_readme PROPERTIES LABELS "e2e;privileged" TIMEOUT 1500)
