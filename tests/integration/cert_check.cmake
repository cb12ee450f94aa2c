# cert_check_tests: `gatelinkctl cert check` as a technician runs it, without an agent, on the
# real test PKI: good, expired, wrong-EKU, mismatched-key, revoked, other-CA and stale-CRL material.
gatelink_test(cert_check_tests PKI
  SOURCES integration/cert_check_test.cpp
  LIBS gatelink_test_harness
  LABELS integration PKI)
add_dependencies(cert_check_tests gatelinkctl)
