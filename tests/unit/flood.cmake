# Unit tests of what keeps unauthenticated and greedy peers cheap (DESIGN "Who may reach what"):
# the shared buffer budget and read_message growing with received bytes (plugin/link), and the
# gateway's handshake slots per source address, its waiting room, a busy answer's retry-after, accept backoff and log throttle
# (gateway/).
gatelink_test(flood_unit_tests
  SOURCES
    unit/link_buffer_budget_test.cpp
    unit/link_read_message_test.cpp
    unit/gateway_handshake_slots_test.cpp
    unit/gateway_waiting_room_test.cpp
    unit/gateway_busy_retry_test.cpp
    unit/gateway_accept_test.cpp
  LIBS gatelink_link gatelink_admission
  LABELS unit)
