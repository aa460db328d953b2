# The C library's ABI against abi/librootfsctl.so.0.abi (scripts/abi.sh, abigail-tools),
# and proof that the check fails when a function is removed. Only the normal build: a
# sanitizer build's library is instrumented and a fuzz build has none.
if(NOT ROOTFSCTL_SANITIZE AND NOT ROOTFSCTL_FUZZ)
  add_test(NAME abi_c
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/abi/abi_test.sh $<TARGET_FILE:rootfsctl_c>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(abi_c PROPERTIES LABELS "abi" TIMEOUT 300)
endif()
