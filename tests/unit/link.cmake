# link_tests: the agreed liveness of a session and the socket options that follow from it.
gatelink_test(link_tests
  SOURCES unit/link_liveness_test.cpp
  LIBS gatelink_link
  LABELS unit)
