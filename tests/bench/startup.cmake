# Whole-process start-up of `rootfsctl run sandbox` against bubblewrap and a bare-syscall
# floor (issue 7). Run: bash tests/bench/startup.sh (as root).
enable_language(C)

# The floor: the same syscalls as the sandbox plan with nothing around them, linked
# statically like rootfsctl so neither pays the dynamic loader.
add_executable(bench_floor ${CMAKE_CURRENT_LIST_DIR}/floor.c)
if(ROOTFSCTL_STATIC)
  target_link_options(bench_floor PRIVATE -static)
endif()

add_executable(bench_startup ${CMAKE_CURRENT_LIST_DIR}/startup_bench.cc)
