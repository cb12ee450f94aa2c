# WAN integration tests: the real agent and gateways with the delay/fault proxy between them.
gatelink_test(wan_integration_tests PKI TIMEOUT 300
  SOURCES integration/wan_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures
  LABELS integration)
add_dependencies(wan_integration_tests gatelink-agent gatelink-gateway gatelink-mg)

# Peer strings are data: a hostile (fake) gateway's names, messages and pushes reach the agent's
# log and gatelinkctl only escaped.
gatelink_test(peer_strings_tests PKI TIMEOUT 120
  SOURCES integration/peer_strings_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures gatelink_test_issued
  LABELS integration)
add_dependencies(peer_strings_tests gatelink-agent gatelinkctl)

# A deadline on every step: gateways that stall at one step each.
gatelink_test(deadline_tests PKI TIMEOUT 120
  SOURCES integration/deadline_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures
  LABELS integration)
add_dependencies(deadline_tests gatelink-agent)
