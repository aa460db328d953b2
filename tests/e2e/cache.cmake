# The compiled-layouts cache end to end: off, cold and warm plans of every layout in the
# tree byte for byte, broken entries, the `cache` command, the loader's limits. The run
# case needs root (CI is root).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_cache
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cache_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_cache PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
# Under the sanitizers each layout is compared off, cold and warm in one format, text and
# json in turn (cache_test.py says what still runs both renderers there); the normal phase
# compares every layout in both.
if(ROOTFSCTL_SANITIZE)
  set_tests_properties(e2e_cache PROPERTIES
                       ENVIRONMENT "ROOTFSCTL_CACHE_TEST_ALTERNATE_FORMATS=1")
endif()
