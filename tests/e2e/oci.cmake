# rootfsctl with a real OCI runtime (runc, root): apply --pid into a created container,
# `oci hook` as a createRuntime/poststart hook, failing hooks, import of runc's own spec.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_oci
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/oci_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_oci PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
