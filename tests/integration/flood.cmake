# Flood tests (DESIGN "Who may reach what"): idle, trickling and greedy peers and descriptor
# exhaustion against the real gatelink-gateway, with a real agent that must still connect.
# The flood comes from 127.0.0.2, the agent from 127.0.0.1: loopback only.
gatelink_test(gateway_flood_tests PKI TIMEOUT 300
  SOURCES integration/gateway_flood_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures OpenSSL::SSL
  LABELS integration)
add_dependencies(gateway_flood_tests gatelink-agent gatelink-gateway gatelinkctl)
