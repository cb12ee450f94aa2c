# link_tests: the agreed liveness of a session and the socket options that follow from it; the
# decision on the admission frame before TLS.
gatelink_test(link_tests
  SOURCES unit/link_liveness_test.cpp unit/link_admission_test.cpp
  LIBS gatelink_link
  LABELS unit)
