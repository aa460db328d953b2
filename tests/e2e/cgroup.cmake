# The cgroup entry (issue 20), as root: cgroup2 applied into a child with its own cgroup
# and mount namespaces shows the child's cgroup, ro when asked; rollback unmounts it; a
# user namespace sharing the host's cgroup namespace is refused. Fails without root under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_cgroup
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cgroup_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_cgroup PROPERTIES LABELS "e2e;privileged" TIMEOUT 300)
