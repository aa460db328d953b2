# The man pages and shell completions against the binary they describe: both pages render
# without warnings, every command and option of each --help is documented, every schema
# key is in rootfsctl-layout(5), and the bash and zsh completions, driven for real, offer
# what the binary accepts. Unprivileged; needs man-db, groff, bash-completion and zsh.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_docs
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/docs_test.py
                 $<TARGET_FILE:rootfsctl> ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_docs PROPERTIES LABELS "e2e" TIMEOUT 600)
