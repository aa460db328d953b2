# Golden plans: every bundled profile and test layout, planned offline in every format,
# equals what tests/data/golden records. No privileges needed.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_golden
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/golden_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_golden PROPERTIES LABELS "e2e" TIMEOUT 300)
