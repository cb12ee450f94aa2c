# resolve_tests: name resolution against a DNS server that never answers, in a private network
# and mount namespace (fixtures/in_private_net.sh) with its own resolv.conf, hosts and
# nsswitch.conf. Needs root; without it the test fails and says why.
file(GLOB resolve_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/resolve_*.cpp)
gatelink_test(resolve_tests
  SOURCES ${resolve_test_sources}
  LIBS gatelink_resolve gatelink_test_private_net
  WRAP bash ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/in_private_net.sh
  LABELS unit)
