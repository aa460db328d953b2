# The layout schema as editors see it: yaml-language-server 1.x (tools/, from npm, installed
# by scripts/deps.sh) asked for completion and hover over LSP. Unprivileged, no network.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME e2e_editor
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/editor/yaml_ls_test.py
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e_editor PROPERTIES LABELS "e2e" TIMEOUT 300)
