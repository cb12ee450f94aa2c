# localsec_tests: the local trust rules with real processes (DESIGN "Who may reach what": local
# files and sockets; "Local status"; "Topology": one agent per state folder): an unprivileged
# user refused by the agent's socket, an impostor's socket refused by gatelinkctl, unsafe state
# and socket folders refused, a FIFO where topology.xml belongs, two agents on one state folder,
# and --check-config beside a running agent under a push loop. The tests that need a second
# user (nobody, via setpriv or a forked child) skip when not run as root.
file(GLOB localsec_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/localsec_*.cpp)
gatelink_test(localsec_tests PKI TIMEOUT 300
  SOURCES ${localsec_test_sources} integration/ctl_support.cpp integration/topology_support.cpp
  LIBS gatelink_status_endpoint gatelink_test_harness tinyxml2::tinyxml2
       nlohmann_json::nlohmann_json
  LABELS integration)
add_dependencies(localsec_tests gatelink-agent gatelink-gateway gatelinkctl gatelink-mg)
