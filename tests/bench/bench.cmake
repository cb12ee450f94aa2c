# Benchmarks: programs that measure against DESIGN "Performance budget" (docs/BENCHMARKS.md).
# They measure and report; they never fail on a slow figure.
add_executable(failover_bench bench/failover_bench.cpp)
gatelink_target_defaults(failover_bench)
target_link_libraries(failover_bench PRIVATE gatelink_test_harness CLI11::CLI11)
target_compile_definitions(failover_bench PRIVATE
  GATELINK_CERTS_TOOL="${CMAKE_SOURCE_DIR}/certs/gatelink-certs")
add_dependencies(failover_bench gatelink-agent gatelink-gateway gatelinkctl)

# A smoke run (a few seconds) that keeps the benchmark itself working: it fails only if the rig
# cannot be set up or a scenario gets no sample at all, never on the figures.
add_test(NAME failover_bench_smoke
         COMMAND failover_bench --trials 2 --interval-ms 50 --probe-interval-ms 100
                 --pki ${GATELINK_TEST_PKI_DIR} --bin-dir ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(failover_bench_smoke PROPERTIES
  LABELS bench FIXTURES_REQUIRED pki TIMEOUT 120)
