# agent_platform_tests: the parts of the agent's platform seams that need no platform: the
# status protocol's answers shared by the Unix socket and the Windows named pipe, and the Windows
# agent's pure rules (the pipe's name, the SDDL of the pipe and the log folder, the service
# control manager's controls and reports), run here on Linux.
gatelink_test(agent_platform_tests
  SOURCES unit/agent_status_protocol_test.cpp unit/agent_windows_rules_test.cpp
  LIBS gatelink_status_endpoint gatelink_agent_windows_rules nlohmann_json::nlohmann_json
  LABELS unit)
