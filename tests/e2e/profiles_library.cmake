# The bundled profile library (manifests/) for real: every profile plans cleanly, runs
# `true` (root, and rootless where meant to) and is checked for what it exists for.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_profiles_library
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/profiles_library_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_profiles_library PROPERTIES LABELS "e2e;privileged" TIMEOUT 900)
