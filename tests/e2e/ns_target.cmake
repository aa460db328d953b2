# Targets named by namespace files (`--ns mnt=FILE,...`): a pinned mount namespace with no
# process, crash recovery through it, proc for a pid namespace given, a namespace owned by
# a mapped user namespace, bad values. Needs root; fails without it under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_ns_target
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/ns_target_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_ns_target PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
