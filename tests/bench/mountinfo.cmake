# mountinfo parse cost per entry, rootfsctl vs util-linux libmount (issue 7: >= 10x).
# Run: build/tests/bench/bench_mountinfo (Release or RelWithDebInfo).
if(NOT TARGET PkgConfig::MOUNT)
  pkg_check_modules(MOUNT REQUIRED IMPORTED_TARGET mount)
endif()

add_executable(bench_mountinfo ${CMAKE_CURRENT_LIST_DIR}/mountinfo_bench.cc)
target_link_libraries(bench_mountinfo PRIVATE rootfsctl_mountinfo benchmark::benchmark
                      PkgConfig::MOUNT)
