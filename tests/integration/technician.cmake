# What on-site technicians run, end to end. cert_check_tests: `gatelinkctl cert check` without
# an agent, on the real test PKI: good, expired, wrong-EKU, mismatched-key, revoked, other-CA and
# stale-CRL material.
gatelink_test(cert_check_tests PKI
  SOURCES integration/cert_check_test.cpp
  LIBS gatelink_test_harness
  LABELS integration PKI)
add_dependencies(cert_check_tests gatelinkctl)

# gatelink-certs is a script, installed as it is: its --version must say the project's version.
add_test(NAME certs_version_in_sync
         COMMAND bash -c "test \"$(bash '${CMAKE_SOURCE_DIR}/certs/gatelink-certs' --version)\" = 'gatelink-certs ${PROJECT_VERSION}' || { echo 'set VERSION in certs/gatelink-certs to ${PROJECT_VERSION}'; exit 1; }")
set_tests_properties(certs_version_in_sync PROPERTIES LABELS unit)

# agent_status_fields_tests: a real agent's status and topology as gatelinkctl shows them (the
# gateway being tried, where each topology came from), against a real gateway and gatelink-mg.
gatelink_test(agent_status_fields_tests PKI
  SOURCES integration/agent_status_fields_test.cpp
  LIBS gatelink_test_harness
  LABELS integration PKI)
add_dependencies(agent_status_fields_tests gatelink-agent gatelink-gateway gatelink-mg gatelinkctl)

# program_cli_tests: --help, --version and usage errors of every program, as docs/OPERATIONS.md
# "Exit codes" lists them.
gatelink_test(program_cli_tests
  SOURCES integration/program_cli_test.cpp
  LIBS gatelink_test_harness
  LABELS integration)
add_dependencies(program_cli_tests gatelink-agent gatelink-gateway gatelink-mg gatelinkctl)
