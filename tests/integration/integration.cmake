# Integration tests: the real gatelink-agent, gatelink-gateway and gatelinkctl on 127.0.0.1.
add_library(gatelink_test_harness STATIC integration/harness.cpp)
gatelink_target_defaults(gatelink_test_harness)
gatelink_test_build_defaults(gatelink_test_harness)
target_include_directories(gatelink_test_harness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(gatelink_test_harness PUBLIC nlohmann_json::nlohmann_json)

# Topology pushes as a management group issues them, for tests that play the gateway.
add_library(gatelink_test_issued STATIC integration/issued_push.cpp)
gatelink_target_defaults(gatelink_test_issued)
gatelink_test_build_defaults(gatelink_test_issued)
target_include_directories(gatelink_test_issued PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(gatelink_test_issued PUBLIC gatelink_codec gatelink_signature
                                           PRIVATE gatelink_store)

gatelink_test(integration_tests PKI TIMEOUT 300
  SOURCES integration/agent_connect_test.cpp integration/trust_test.cpp
  LIBS gatelink_test_harness
  LABELS integration)
add_dependencies(integration_tests gatelink-agent gatelink-gateway gatelinkctl gatelink-mg)

# libgatelink through its C ABI, as an embedding host uses it (plus a C compile of gatelink.h),
# against real gateways and the fake gateway of the test fixtures.
gatelink_test(plugin_abi_tests PKI TIMEOUT 120
  SOURCES integration/plugin_abi_test.cpp integration/plugin_abi_check.c
  LIBS gatelink gatelink_endpoint gatelink_test_harness gatelink_test_fixtures
  LABELS integration)
add_dependencies(plugin_abi_tests gatelink-gateway)
