# `rootfsctl run` for real: the command in the assembled sandbox, statuses, signals,
# orphans, fd hygiene; as root and rootless (uid 65534 in a user namespace).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_run
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_run PROPERTIES LABELS "e2e;privileged" TIMEOUT 600)
# Under the sanitizers the as-soon-as-the-command-runs signal is sent 5 times instead of
# 20: every try takes the same path (run_test.py, SIGNAL_TRIES says why).
if(ROOTFSCTL_SANITIZE)
  set_tests_properties(e2e_run PROPERTIES ENVIRONMENT "ROOTFSCTL_RUN_SIGNAL_TRIES=5")
endif()
