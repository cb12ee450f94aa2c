# Name resolution end to end (DESIGN "Heartbeats and failover"): the real agent and real
# gateways in a private network and mount namespace (fixtures/in_private_net.sh) whose only DNS
# server is the test's own, one that never answers, and whose /etc/hosts the test rewrites.
# Needs root; without it the test fails and says why.
gatelink_test(dns_integration_tests PKI TIMEOUT 300
  SOURCES integration/dns_test.cpp
  LIBS gatelink_test_harness gatelink_test_private_net
  WRAP bash ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/in_private_net.sh
  LABELS integration)
add_dependencies(dns_integration_tests gatelink-agent gatelink-gateway gatelinkctl)
