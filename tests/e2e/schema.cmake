# Independent check of schemas/layout.schema.json: python3-jsonschema and python3-yaml
# validate the bundled and test layouts with the same file the loader compiles in
# (tests/schema/check_schema.py). Exit 77 (a module missing) counts as skipped.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME schema_python
           COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/schema/check_schema.py
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(schema_python PROPERTIES LABELS "unit" SKIP_RETURN_CODE 77)
else()
  message(STATUS "python3 not found: schema_python test not registered")
endif()
