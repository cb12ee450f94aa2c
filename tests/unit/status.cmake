# status_tests: the status snapshot's JSON, its time format and gatelinkctl's text form.
file(GLOB status_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/status_*.cpp)
# NO_UNITY: its files each have their own kNow and Json (json or ordered_json).
gatelink_test(status_tests NO_UNITY
  SOURCES ${status_test_sources}
  LIBS gatelink_status gatelink_status_text nlohmann_json::nlohmann_json
  LABELS unit)
