# Unit tests of the failover state machine, in virtual time with scripted randomness.
gatelink_test(failover_tests
  SOURCES
    unit/failover_order_tests.cpp
    unit/failover_goodbye_tests.cpp
    unit/failover_failback_tests.cpp
    unit/failover_backoff_tests.cpp
    unit/failover_lifecycle_tests.cpp
    unit/failover_topology_tests.cpp
    unit/failover_standby_tests.cpp
    unit/failover_ticket_prefetch_tests.cpp
  LIBS gatelink_failover
  LABELS unit)
