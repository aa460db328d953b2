# `cmake --install` into a scratch prefix and a consumer project built against it with
# find_package(rootfsctl) and with pkg-config (tests/install/install_test.sh). Sanitizer
# and fuzz builds install nothing (cmake/install.cmake).
if(NOT ROOTFSCTL_SANITIZE AND NOT ROOTFSCTL_FUZZ)
  add_test(NAME install_consumer
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/install_test.sh
                   ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(install_consumer PROPERTIES LABELS "install" TIMEOUT 300)
endif()
