# status_tests: the status snapshot's JSON, its time format and gatelinkctl's text form.
file(GLOB status_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/status_*.cpp)
gatelink_test(status_tests
  SOURCES ${status_test_sources}
  LIBS gatelink_status gatelink_status_text nlohmann_json::nlohmann_json
  LABELS unit)
