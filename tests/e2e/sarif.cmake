# plan --format sarif against the SARIF 2.1.0 schema (from npm, tools/), unprivileged.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_sarif
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/sarif_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_sarif PROPERTIES LABELS "e2e" TIMEOUT 300)
