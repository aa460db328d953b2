# The C and C++ sources are as clang-format 14 (Debian 12's) writes them under the
# repository's .clang-format: `bash scripts/format.sh` fixes what this test finds.
add_test(NAME format
         COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/format.sh --check
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(format PROPERTIES LABELS "lint" TIMEOUT 300)
