# WAN integration tests: the real agent and gateways with the delay/fault proxy between them.
gatelink_test(wan_integration_tests PKI TIMEOUT 300
  SOURCES integration/wan_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures
  LABELS integration)
add_dependencies(wan_integration_tests gatelink-agent gatelink-gateway gatelink-mg)
