# Filesystem options beyond size and mode (issue 20), as root: tmpfs uid/gid/nr_inodes and
# devpts gid/ptmxmode take effect under `run`. Needs root; fails without it under CI.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_fs_options
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fs_options_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_fs_options PROPERTIES LABELS "e2e;privileged" TIMEOUT 120)
