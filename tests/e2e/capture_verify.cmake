# `capture --pid` and `verify --pid` for real: a captured sandbox replays to the same
# mount tree in a fresh child; drift (missing, extra, flags) is found and named.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_capture_verify
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/capture_verify_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_capture_verify PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
