# Profiles on the command line: `profiles list` and `show`, and plans of composed
# profiles naming every file they came from. Unprivileged.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_profiles
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/profiles_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_profiles PROPERTIES LABELS "e2e" TIMEOUT 300)
