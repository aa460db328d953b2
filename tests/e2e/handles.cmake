# The handles suite (issue 15): every write, chmod and unmount through a handle the target
# cannot swap or fake. Racers exchange a file rootfsctl writes for a device node, a FIFO, a
# symlink or a hard link out of the root; rollbacks run in targets with their own /proc
# (an assembled child, a runc container) and under a fake /proc/thread-self; kernel
# settings spelled as `file:` entries are refused; a large overwritten file is restored
# whole. Needs root; fails without it under CI.
enable_language(C)
add_executable(e2e_handles_racer ${CMAKE_CURRENT_LIST_DIR}/racer.c)
set_target_properties(e2e_handles_racer PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_handles
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/handles_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE:e2e_handles_racer>)
# e2e_handles mounts 10,000 tmpfs in one namespace and e2e_load makes and ends a thousand
# namespaces: both live on the kernel's one mount-namespace lock, and run side by side
# under ctest -j2 the 10,000-mount apply went from 9 s to over 120 s. They take turns.
set_tests_properties(e2e_handles PROPERTIES LABELS "e2e;privileged;hostile" TIMEOUT 900
                     RESOURCE_LOCK kernel_namespace_lock)
# Under the sanitizers every apply is several times slower and the race paths are the
# same code: 20 applies a scenario there (the normal phase runs 50). The bounded-
# descriptors case runs there under a descriptor limit of 2,000 with 1,000 entries instead
# of this machine's 20,000 with 10,000: the same proportions, so the same paths (the
# journal's budget running out, undos finding mounts again by path and id), at a tenth of
# the mounts (handles_test.py, DESCRIPTOR_LIMIT). The normal phase keeps 10,000.
if(ROOTFSCTL_SANITIZE)
  set_tests_properties(e2e_handles PROPERTIES ENVIRONMENT
                       "ROOTFSCTL_HANDLES_RACE_APPLIES=20;ROOTFSCTL_HANDLES_DESCRIPTOR_LIMIT=2000")
endif()
