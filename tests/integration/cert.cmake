# Certificate lifecycle with real processes: renewed files picked up without a restart (file
# watch, SIGHUP, next connection), broken renewals refused, expiry and CRL warnings.
gatelink_test(cert_integration_tests PKI TIMEOUT 300
  SOURCES integration/cert_reload_test.cpp
  LIBS gatelink_test_harness
  LABELS integration)
add_dependencies(cert_integration_tests gatelink-agent gatelink-gateway)
