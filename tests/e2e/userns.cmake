# Root applying into user-namespaced targets (issue 17): a child mapped 0 100000 65536 by
# root, one made by an unprivileged user, one sharing the host's ipc namespace, one
# without a root. Needs root; skips without it, fails without it under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_userns
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/userns_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_userns PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
