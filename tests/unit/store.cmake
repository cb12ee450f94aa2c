# topology_store_tests: the persisted topology document, its XSD (config/topology.xsd, checked
# with xmllint when it is on PATH) and the crash-safe store, with failures injected at each
# durable write. Pure: files in a scratch folder, no sockets, no clocks.
file(GLOB store_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/store_*.cpp)
if(WIN32)  # modes, owners and device files (tests/windows/windows.cmake)
  list(FILTER store_test_sources EXCLUDE REGEX "store_safety_test\\.cpp$")
endif()
gatelink_test(topology_store_tests
  SOURCES ${store_test_sources}
  LIBS gatelink_store
  LABELS unit)
target_compile_definitions(topology_store_tests PRIVATE
  GATELINK_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}")
