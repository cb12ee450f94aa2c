// The Windows agent's decisions that need no Windows (agent/status_pipe_name.hpp,
// agent/pipe_security.hpp, agent/service_control.hpp), tested where the suite runs.

#include <gtest/gtest.h>

#include <string>

#include "pipe_security.hpp"
#include "service_control.hpp"
#include "status_pipe_name.hpp"

namespace gatelink {
namespace {

constexpr char kUserSid[] = "S-1-5-21-1004336348-1177238915-682003330-1001";
constexpr char kGroupSid[] = "S-1-5-21-1004336348-1177238915-682003330-1010";

// --- the pipe's name -------------------------------------------------------------------------

TEST(StatusPipeName, the_default_pipe_is_served_as_it_is) {
  auto name = status_pipe_name(kDefaultStatusPipe);
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(*name, R"(\\.\pipe\gatelink-agent)");
}

TEST(StatusPipeName, a_full_pipe_name_is_used_as_it_is_and_a_bare_name_goes_under_pipe) {
  EXPECT_EQ(*status_pipe_name(R"(\\.\pipe\gatelink-test)"), R"(\\.\pipe\gatelink-test)");
  EXPECT_EQ(*status_pipe_name(R"(\\.\PIPE\other)"), R"(\\.\pipe\other)");
  EXPECT_EQ(*status_pipe_name("gatelink-second"), R"(\\.\pipe\gatelink-second)");
}

TEST(StatusPipeName, a_path_is_refused_naming_what_to_give) {
  for (const char* bad : {"/run/gatelink/agent.sock", "/var/run/other.sock", R"(C:\gatelink\agent)", R"(\\server\pipe\x)",
                          R"(\\.\pipe\)", R"(\\.\pipe\a\b)", "", "bell\x07"}) {
    auto name = status_pipe_name(bad);
    ASSERT_FALSE(name) << bad;
    EXPECT_NE(name.error().message.find(R"(\\.\pipe\NAME)"), std::string::npos)
        << name.error().message;
  }
}

TEST(StatusPipeName, a_name_beyond_the_win32_limit_is_refused) {
  EXPECT_TRUE(status_pipe_name(std::string(kMaxPipeNameLength - 9, 'a')));
  EXPECT_FALSE(status_pipe_name(std::string(kMaxPipeNameLength - 8, 'a')));
}

// --- security descriptors --------------------------------------------------------------------

TEST(PipeSecurity, only_string_sids_are_sids) {
  EXPECT_TRUE(is_string_sid("S-1-5-18"));
  EXPECT_TRUE(is_string_sid(kUserSid));
  for (const char* bad : {"", "S-1-", "S-1-5-", "S-1--5", "S-2-5-18", "s-1-5-18",
                          "S-1-5-18)(A;;GA;;;WD", "BA", "S-1-5-18 "}) {
    EXPECT_FALSE(is_string_sid(bad)) << bad;
  }
}

TEST(PipeSecurity, the_pipe_admits_system_administrators_the_agent_and_the_group_only) {
  auto sddl = status_pipe_sddl(kUserSid, std::string(kGroupSid));
  ASSERT_TRUE(sddl) << sddl.error().message;
  EXPECT_EQ(*sddl, std::string("O:") + kUserSid +
                       "D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + kUserSid +
                       ")(A;;0x12019b;;;" + kGroupSid + ")");
}

TEST(PipeSecurity, the_group_may_ask_but_never_create_an_instance_of_the_pipe) {
  constexpr unsigned long kFileCreatePipeInstance = 0x4;
  constexpr unsigned long kFileWriteData = 0x2;
  constexpr unsigned long kFileGenericRead = 0x120089;
  EXPECT_EQ(kPipeClientAccess & kFileCreatePipeInstance, 0U);
  EXPECT_EQ(kPipeClientAccess & (kFileGenericRead | kFileWriteData),
            kFileGenericRead | kFileWriteData);
}

TEST(PipeSecurity, an_agent_as_local_system_needs_no_entry_of_its_own_and_no_group_none) {
  auto sddl = status_pipe_sddl("S-1-5-18", std::nullopt);
  ASSERT_TRUE(sddl);
  EXPECT_EQ(*sddl, "O:S-1-5-18D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)");
}

TEST(PipeSecurity, something_that_is_not_a_sid_never_reaches_the_sddl) {
  EXPECT_FALSE(status_pipe_sddl("S-1-5-18)(A;;GA;;;WD", std::nullopt));
  EXPECT_FALSE(status_pipe_sddl("S-1-5-18", std::string("WD")));
  EXPECT_FALSE(log_folder_sddl("", std::nullopt));
}

TEST(PipeSecurity, the_log_folder_is_protected_and_readable_by_the_group) {
  auto sddl = log_folder_sddl("S-1-5-18", std::string(kGroupSid));
  ASSERT_TRUE(sddl);
  EXPECT_EQ(*sddl,
            std::string("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;") + kGroupSid + ")");
}

// --- the service control manager -------------------------------------------------------------

TEST(ServiceControl, stop_preshutdown_and_shutdown_stop_paramchange_reloads) {
  EXPECT_EQ(service_request_for(scm::kControlStop), ServiceRequest::stop);
  EXPECT_EQ(service_request_for(scm::kControlPreshutdown), ServiceRequest::stop);
  EXPECT_EQ(service_request_for(scm::kControlShutdown), ServiceRequest::stop);
  EXPECT_EQ(service_request_for(scm::kControlParamChange), ServiceRequest::reload);
  EXPECT_EQ(service_request_for(scm::kControlInterrogate), ServiceRequest::interrogate);
  EXPECT_EQ(service_request_for(2 /* PAUSE */), ServiceRequest::unsupported);
  EXPECT_EQ(service_request_for(0x80 /* user-defined */), ServiceRequest::unsupported);
}

TEST(ServiceControl, starting_accepts_no_control_and_counts_checkpoints_with_a_hint) {
  const ServiceStatusReport first = service_status_for(ServicePhase::start_pending, 1);
  const ServiceStatusReport second = service_status_for(ServicePhase::start_pending, 2);
  EXPECT_EQ(first.current_state, scm::kStateStartPending);
  EXPECT_EQ(first.controls_accepted, 0U);
  EXPECT_EQ(first.checkpoint, 1U);
  EXPECT_EQ(second.checkpoint, 2U);
  EXPECT_GT(first.wait_hint_ms, 0U);
}

TEST(ServiceControl, running_accepts_stop_preshutdown_and_paramchange) {
  const ServiceStatusReport running = service_status_for(ServicePhase::running);
  EXPECT_EQ(running.current_state, scm::kStateRunning);
  EXPECT_NE(running.controls_accepted & scm::kAcceptStop, 0U);
  EXPECT_NE(running.controls_accepted & scm::kAcceptPreshutdown, 0U);
  EXPECT_NE(running.controls_accepted & scm::kAcceptParamChange, 0U);
  EXPECT_EQ(running.checkpoint, 0U);
  EXPECT_EQ(running.wait_hint_ms, 0U);
}

TEST(ServiceControl, stopping_accepts_nothing_more_and_has_a_hint) {
  const ServiceStatusReport stopping = service_status_for(ServicePhase::stop_pending, 1);
  EXPECT_EQ(stopping.current_state, scm::kStateStopPending);
  EXPECT_EQ(stopping.controls_accepted, 0U);
  EXPECT_EQ(stopping.checkpoint, 1U);
  EXPECT_GT(stopping.wait_hint_ms, 0U);
}

TEST(ServiceControl, stopped_carries_the_exit_status_as_a_service_specific_code) {
  const ServiceStatusReport clean = service_status_for(ServicePhase::stopped, 0, 0);
  EXPECT_EQ(clean.current_state, scm::kStateStopped);
  EXPECT_EQ(clean.win32_exit_code, scm::kNoError);
  const ServiceStatusReport failed = service_status_for(ServicePhase::stopped, 0, 1);
  EXPECT_EQ(failed.win32_exit_code, scm::kErrorServiceSpecific);
  EXPECT_EQ(failed.service_specific_exit_code, 1U);
}

}  // namespace
}  // namespace gatelink
