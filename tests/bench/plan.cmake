# plan + validate of 1k, 10k and 100k-entry layouts against a 20k-entry table (issue 7:
# 10k <= 100 ms, 100k <= 12x that). Run: build/tests/bench/bench_plan
add_executable(bench_plan ${CMAKE_CURRENT_LIST_DIR}/plan_bench.cc)
target_link_libraries(bench_plan PRIVATE rootfsctl_plan benchmark::benchmark)
