# The management group's side of topology (gatelink-mg, the store, delivery by the gateway):
# the registry's unit tests, then the programs end to end.
include(${CMAKE_CURRENT_LIST_DIR}/../unit/registry.cmake)

# mg_tests: gatelink-mg as a child process, as an admin runs it: exit codes, messages, output,
# --json, keygen, ticket-keys, signed entries, new epochs, and the store left unchanged by every refused
# command.
gatelink_test(mg_tests
  SOURCES integration/mg_cli_test.cpp
  LIBS gatelink_test_harness gatelink_signature gatelink_store gatelink_tls
  LABELS integration)
add_dependencies(mg_tests gatelink-mg)

# topology_delivery_tests: a real gatelink-gateway --store and a real agent over real TLS on
# 127.0.0.1; gatelink-mg writes topologies before and while the agent is connected.
gatelink_test(topology_delivery_tests PKI TIMEOUT 120
  SOURCES integration/delivery_test.cpp
  LIBS gatelink_test_harness
  LABELS integration PKI)
add_dependencies(topology_delivery_tests gatelink-agent gatelink-gateway gatelink-mg)
