# tls: handshakes between the real contexts, fully in memory, against the test PKI; key-file
# permissions; certificate facts; the certificate lifecycle (reloads, refusals, the file watch and
# its settle rule, expiry and CRL warnings); and `gatelink-certs check` against good and bad
# certificates.

gatelink_test(tls_tests PKI
  SOURCES
    unit/tls_agent_verification_test.cpp
    unit/tls_certificate_health_test.cpp
    unit/tls_certificate_info_test.cpp
    unit/tls_context_test.cpp
    unit/tls_file_watcher_test.cpp
    unit/tls_gateway_verification_test.cpp
    unit/tls_key_permissions_test.cpp
    unit/tls_reloading_context_test.cpp
    unit/tls_rejection_reason_test.cpp
    unit/tls_resumption_test.cpp
    unit/tls_settle_timer_test.cpp
    unit/tls_test_support.cpp
  LIBS gatelink_tls gatelink_logging)

# Named tls_tests_* so that `ctest -R tls_tests` runs it with the C++ tests.
add_test(NAME tls_tests_certs_check
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/unit/tls_certs_check_test.sh
                 ${CMAKE_SOURCE_DIR}/certs/gatelink-certs ${GATELINK_TEST_PKI_DIR})
set_tests_properties(tls_tests_certs_check PROPERTIES FIXTURES_REQUIRED pki TIMEOUT 120)
