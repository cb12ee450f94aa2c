# bootstrap_config_tests: the first-install configuration (agent/bootstrap_config.hpp) that
# `gatelinkctl bootstrap-config` writes for the installers: checks, rendering, the file write.

gatelink_test(bootstrap_config_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/bootstrap_config_test.cpp
  LIBS gatelink_bootstrap_config gatelink_config gatelink_topology tinyxml2::tinyxml2
  LABELS unit)
target_compile_definitions(bootstrap_config_tests PRIVATE
  GATELINK_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}")
