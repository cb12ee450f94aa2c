# registry_tests: the management group's topology store (gateway/topology_registry.hpp) that
# gatelink-mg writes and gateways deliver from: round trips, epochs and generations, signatures,
# new epochs, entries of older builds, every refusal leaving the store byte for byte as it was,
# corrupt files, the writers' lock. Pure: a scratch folder.
file(GLOB registry_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/registry_*.cpp)
gatelink_test(registry_tests
  SOURCES ${registry_test_sources}
  LIBS gatelink_registry gatelink_signature
  LABELS unit)
target_compile_definitions(registry_tests PRIVATE
  GATELINK_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}")
