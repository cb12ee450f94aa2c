# config_tests: the pure config and topology modules (no sockets, no clocks).
# The sample configuration and its XSD are read from the source tree: GATELINK_SOURCE_DIR in the
# environment (set by gatelink_test) or, when the binary runs by hand, the compiled-in default.

gatelink_test(config_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/config_errors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_load_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_parse_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config_schema_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/topology_address_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/topology_validate_test.cpp
  LIBS gatelink_config gatelink_topology tinyxml2::tinyxml2
  LABELS unit)
target_compile_definitions(config_tests PRIVATE
  GATELINK_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}")
