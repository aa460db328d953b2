# The C library from C, Python and Go, installed into a staging prefix (tests/capi): each
# applies the sandbox layout for real to a parked child (root). The sanitizer build runs
# the C programs only, instrumented like the library.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
if(NOT ROOTFSCTL_FUZZ)
  set(capi_mode "")
  if(ROOTFSCTL_SANITIZE)
    set(capi_mode --sanitize)
  endif()
  add_test(NAME e2e_capi
           COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/capi/capi_test.py
                   ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} $<TARGET_FILE:rootfsctl> ${capi_mode})
  set_tests_properties(e2e_capi PROPERTIES LABELS "e2e;privileged;capi" TIMEOUT 900)
endif()
