# ctl_tests: gatelinkctl as a child process against an in-process status endpoint, and the
# endpoint's own guarantees (mode, bounds, one agent per path, stale sockets).
file(GLOB ctl_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/ctl_*.cpp)
gatelink_test(ctl_tests
  SOURCES ${ctl_test_sources}
  LIBS gatelink_status_endpoint gatelink_test_harness nlohmann_json::nlohmann_json
  LABELS integration)
add_dependencies(ctl_tests gatelinkctl)
