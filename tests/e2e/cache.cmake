# The compiled-layouts cache end to end: off, cold and warm plans of every layout in the
# tree byte for byte, broken entries, the `cache` command, the loader's limits. The run
# case needs root (CI is root).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_cache
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cache_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_cache PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
