# Live mount tables through listmount(2)/statmount(2) against /proc/self/mountinfo text,
# in private namespaces of 1k and 10k mounts (issue 7). Run as root:
# build/tests/bench/bench_live_table --benchmark_repetitions=5
add_executable(bench_live_table ${CMAKE_CURRENT_LIST_DIR}/live_table_bench.cc)
target_link_libraries(bench_live_table PRIVATE rootfsctl_mountinfo benchmark::benchmark)
