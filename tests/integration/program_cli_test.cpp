// Every program answers --help and --version with exit 0, and a bad command line with its
// documented usage code (docs/OPERATIONS.md, "Exit codes"), to which each --help points.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

/// The command that runs `program`: a built one from the bin folder, gatelink-certs (a script)
/// from the source tree.
std::vector<std::string> command(const std::string& program) {
  if (program == "gatelink-certs") {
    const char* source = std::getenv("GATELINK_SOURCE_DIR");
    return {"/bin/bash", std::string(source != nullptr ? source : ".") + "/certs/gatelink-certs"};
  }
  return {(bin_dir() / program).string()};
}

RunResult run(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv = command(program);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

const std::vector<std::string> kPrograms = {"gatelink-agent", "gatelinkctl", "gatelink-gateway",
                                            "gatelink-mg", "gatelink-certs"};

TEST(ProgramCli, every_program_answers_help_and_version_with_exit_0) {
  for (const std::string& program : kPrograms) {
    const RunResult version = run(program, {"--version"});
    EXPECT_EQ(version.exit_status, 0) << program << ": " << version.out;
    EXPECT_EQ(version.out.rfind(program + " ", 0), 0u) << program << ": " << version.out;
    const RunResult help = run(program, {"--help"});
    EXPECT_EQ(help.exit_status, 0) << program << ": " << help.out;
    EXPECT_NE(help.out.find("sage"), std::string::npos) << program << ": " << help.out;
  }
}

TEST(ProgramCli, help_footers_point_at_the_exit_codes) {
  for (const std::string& program : kPrograms) {
    const RunResult help = run(program, {"--help"});
    EXPECT_NE(help.out.find("Exit status"), std::string::npos) << program << ": " << help.out;
    EXPECT_NE(help.out.find("docs/OPERATIONS.md, \"Exit codes\""), std::string::npos)
        << program << ": " << help.out;
  }
}

TEST(ProgramCli, bad_command_lines_exit_with_the_documented_usage_code) {
  struct Case {
    std::string program;
    std::vector<std::string> args;
    int exit_status;
    std::string named;  ///< what the message must name
  };
  const std::vector<Case> cases = {
      {"gatelinkctl", {"stauts"}, 64, "unknown command 'stauts' (did you mean 'status'?)"},
      {"gatelinkctl", {"--bogus", "status"}, 64, "--bogus"},
      {"gatelink-agent", {"--config", "/etc/gatelink/agent.xml", "--bogus"}, 64, "--bogus"},
      {"gatelink-agent", {}, 64, "--config"},
      {"gatelink-agent", {"--config", "x.xml", "--log-level", "loud"}, 64, "--log-level"},
      {"gatelink-agent", {"--config", "x.xml", "--config-reference"}, 64, "excludes"},
      {"gatelink-gateway",
       {"--name", "gw", "--listen", "127.0.0.1:0", "--cert", "c", "--key", "k", "--ca", "a",
        "--bogus"},
       2,
       "--bogus"},
      {"gatelink-gateway",
       {"--name", "gw", "--listen", "nonsense", "--cert", "c", "--key", "k", "--ca", "a"},
       2,
       "--listen"},
      {"gatelink-mg", {"--store", "/nonexistent", "set-parent"}, 1, "--agent is required"},
      {"gatelink-certs", {"chek"}, 2, "unknown command 'chek'"},
  };
  for (const Case& c : cases) {
    const RunResult result = run(c.program, c.args);
    EXPECT_EQ(result.exit_status, c.exit_status) << c.program << ": " << result.out;
    EXPECT_NE(result.out.find(c.named), std::string::npos) << c.program << ": " << result.out;
  }
}

}  // namespace
}  // namespace gatelink::test
