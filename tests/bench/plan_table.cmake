# `plan` of a tiny layout against a big table, against libmount just parsing that table,
# whole process each. Run: bash tests/bench/plan_table.sh.
enable_language(C)
if(NOT TARGET PkgConfig::MOUNT)
  pkg_check_modules(MOUNT REQUIRED IMPORTED_TARGET mount)
endif()
add_executable(bench_libmount_parse ${CMAKE_CURRENT_LIST_DIR}/libmount_parse.c)
target_link_libraries(bench_libmount_parse PRIVATE PkgConfig::MOUNT)
