# Failover integration tests: the real agent against three real reference gateways on 127.0.0.1
# (kill -9, SIGSTOP, restart, drain), as DESIGN "Heartbeats and failover" wants it.
gatelink_test(failover_integration_tests PKI TIMEOUT 300
  SOURCES integration/failover_test.cpp
  LIBS gatelink_test_harness
  LABELS integration)
add_dependencies(failover_integration_tests gatelink-agent gatelink-gateway gatelinkctl)
