# rootfsctl as a podman container's createRuntime hook (hooks.d), with runc, for real as
# root: the mounts reach the container's process, refusals and failures stop it, and the
# host's mount table and /dev/null are checked after every test.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_podman
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/podman_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_podman PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
