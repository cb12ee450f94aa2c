# signature_tests: the management group's Ed25519 keys (plugin/signature): RFC 8032's test
# vectors, PEM files as gatelink-mg and the openssl command write them, refused key files, and
# the strict base64 of stored signatures. Pure: files in a scratch folder.
file(GLOB signature_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/signature_*.cpp)
gatelink_test(signature_tests
  SOURCES ${signature_test_sources}
  LIBS gatelink_signature
  LABELS unit)
