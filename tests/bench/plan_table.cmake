# `plan` of a tiny layout against a big table, against libmount just parsing that table,
# whole process each. Run: bash tests/bench/plan_table.sh.
enable_language(C)
if(NOT TARGET PkgConfig::MOUNT)
  pkg_check_modules(MOUNT REQUIRED IMPORTED_TARGET mount)
endif()
add_executable(bench_libmount_parse ${CMAKE_CURRENT_LIST_DIR}/libmount_parse.c)
target_link_libraries(bench_libmount_parse PRIVATE PkgConfig::MOUNT)

# The layout-size scaling bench (bash tests/bench/plan_scale.sh) kept working: a tiny run
# must plan both generated layouts without errors and report both medians.
add_test(NAME bench_plan_scale_smoke
         COMMAND env BUILD=${CMAKE_BINARY_DIR} RUNS=1 SMALL=12 LARGE=120
                 bash ${PROJECT_SOURCE_DIR}/tests/bench/plan_scale.sh)
set_tests_properties(bench_plan_scale_smoke PROPERTIES LABELS "bench"
                     PASS_REGULAR_EXPRESSION "plan-12 .*median.*\nplan-120 .*median" TIMEOUT 120)
