# Benchmarks: programs that measure against DESIGN "Performance budget" (docs/BENCHMARKS.md).
# They measure and report; they never fail on a slow figure.
add_executable(failover_bench bench/failover_bench.cpp)
gatelink_target_defaults(failover_bench)
target_link_libraries(failover_bench PRIVATE gatelink_test_harness gatelink_test_fixtures
                      CLI11::CLI11)
target_compile_definitions(failover_bench PRIVATE
  GATELINK_CERTS_TOOL="${CMAKE_SOURCE_DIR}/certs/gatelink-certs")
add_dependencies(failover_bench gatelink-agent gatelink-gateway gatelinkctl gatelink-mg)

# A smoke run (a few seconds) that keeps the benchmark itself working: it fails only if the rig
# cannot be set up or a scenario gets no sample at all, never on the figures.
add_test(NAME failover_bench_smoke
         COMMAND failover_bench --trials 2 --interval-ms 50 --probe-interval-ms 100
                 --pki ${GATELINK_TEST_PKI_DIR} --bin-dir ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(failover_bench_smoke PROPERTIES
  LABELS bench FIXTURES_REQUIRED pki TIMEOUT 120)
# The same through the delay proxy (a 100 ms round trip), with a warm standby and the flood: one
# trial each.
add_test(NAME failover_bench_smoke_rtt
         COMMAND failover_bench --trials 1 --rtt-ms 100 --interval-ms 100 --probe-interval-ms 100
                 --warm-standby-ms 500 --flood-per-second 50
                 --pki ${GATELINK_TEST_PKI_DIR} --bin-dir ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(failover_bench_smoke_rtt PROPERTIES
  LABELS bench FIXTURES_REQUIRED pki TIMEOUT 120)

# The agent at rest (memory by mapping, CPU) and the gatelinkctl status round trip
# (docs/BENCHMARKS.md "Agent at rest"): a real agent against a real gateway on 127.0.0.1.
add_executable(agent_footprint bench/agent_footprint.cpp)
gatelink_target_defaults(agent_footprint)
target_link_libraries(agent_footprint PRIVATE gatelink_test_harness gatelink_status_endpoint
                      CLI11::CLI11)
target_compile_definitions(agent_footprint PRIVATE GATELINK_DEFAULT_PKI="${GATELINK_TEST_PKI_DIR}")
add_dependencies(agent_footprint gatelink-agent gatelink-gateway gatelinkctl)
# Smoke run: keeps the program working (a 2 s window, a few status runs); never judges the
# figures, fails only when the rig cannot be set up.
add_test(NAME agent_footprint_smoke
         COMMAND agent_footprint --seconds 2 --settle-seconds 0 --status-runs 5
                 --pki ${GATELINK_TEST_PKI_DIR} --bin-dir ${CMAKE_BINARY_DIR}/bin
                 --out ${CMAKE_CURRENT_BINARY_DIR}/agent_footprint_smoke.json)
set_tests_properties(agent_footprint_smoke PROPERTIES
  LABELS bench FIXTURES_REQUIRED pki TIMEOUT 120)

# What keeping topologies costs (Google Benchmark): the gateway's store poll for 10,000 agents,
# reading a changed store file, set-parent, the agent persisting a push, the machine's decision.
find_package(benchmark REQUIRED CONFIG)
add_executable(store_bench bench/store_bench.cpp)
gatelink_target_defaults(store_bench)
target_link_libraries(store_bench PRIVATE gatelink_registry gatelink_store gatelink_failover
                      benchmark::benchmark)
# Smoke run: keeps the program working; never judges the figures.
add_test(NAME store_bench_smoke COMMAND store_bench --benchmark_min_time=0.01)
set_tests_properties(store_bench_smoke PROPERTIES LABELS bench TIMEOUT 120)

# The fleet simulator (docs/BENCHMARKS.md "Fleet"): N endpoints on EndpointRuntime lanes in
# worker processes, against real reference gateways; a mass failover and its failback.
add_executable(gatelink-fleet bench/fleet.cpp bench/fleet_pki.cpp)
gatelink_target_defaults(gatelink-fleet)
target_link_libraries(gatelink-fleet PRIVATE gatelink_endpoint gatelink_config
                      gatelink_test_harness OpenSSL::Crypto CLI11::CLI11
                      nlohmann_json::nlohmann_json gatelink_logging gatelink_registry)
add_dependencies(gatelink-fleet gatelink-gateway)
# Smoke run: a small fleet through every phase, with the chart when gnuplot is there. It fails
# only when the rig cannot be set up, never on the figures.
add_test(NAME fleet_bench_smoke
         COMMAND gatelink-fleet --agents 40 --agents-per-worker 20 --interval-ms 200
                 --probe-interval-ms 200 --stable-probes 2 --backoff-cap-ms 500
                 --reference-seconds 1 --phase-deadline-s 60 --rest-seconds 1
                 --pki ${GATELINK_TEST_PKI_DIR} --bin-dir ${CMAKE_BINARY_DIR}/bin
                 --out ${CMAKE_CURRENT_BINARY_DIR}/fleet-smoke)
set_tests_properties(fleet_bench_smoke PROPERTIES
  LABELS bench FIXTURES_REQUIRED pki TIMEOUT 180)
