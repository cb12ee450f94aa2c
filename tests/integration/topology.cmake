# Topology integration tests (DESIGN "Topology: push, change, persistence"): gatelink-mg writes
# an agent's topology to the store, real reference gateways push it over real TLS on 127.0.0.1,
# and the real agent applies it, holds it pending until its new primary answers, persists it and
# loads it again after kill -9. The persisted files are read back with tinyxml2 (not the agent's
# own parser) and, when xmllint is on PATH, checked against config/topology.xsd.
set(gatelink_topology_test_programs gatelink-agent gatelink-gateway gatelinkctl gatelink-mg)

gatelink_test(topology_integration_tests PKI TIMEOUT 600
  SOURCES integration/topology_push_test.cpp integration/topology_support.cpp
  LIBS gatelink_test_harness tinyxml2::tinyxml2
  LABELS integration)
add_dependencies(topology_integration_tests ${gatelink_topology_test_programs})

# kill -9 of the agent at random moments while topologies are pushed; a test of its own so that
# it runs beside the others. GATELINK_TORTURE_ITERATIONS=500 ctest -R topology_torture runs the
# long one (the defaults, 100 and 50 kills, keep the suite fast); GATELINK_TORTURE_SEED replays
# a run.
gatelink_test(topology_torture_tests PKI TIMEOUT 600
  SOURCES integration/topology_torture_test.cpp integration/topology_support.cpp
  LIBS gatelink_test_harness tinyxml2::tinyxml2
  LABELS integration)
add_dependencies(topology_torture_tests ${gatelink_topology_test_programs})

# Signed topologies (DESIGN "Topology", signed topology): the fake gateway relays, forges,
# tampers with and replays pushes to the real agent, which pins the management group's key.
gatelink_test(signed_push_tests PKI TIMEOUT 120
  SOURCES integration/signed_push_test.cpp
  LIBS gatelink_test_harness gatelink_test_fixtures gatelink_test_issued
  LABELS integration)
add_dependencies(signed_push_tests gatelink-agent gatelinkctl)
