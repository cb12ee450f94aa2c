// The certificate lifecycle with real processes (DESIGN "Connection and trust": renewed files
// are picked up without a restart): the real agent and the real reference gateway over TLS on
// 127.0.0.1. The agent's files are copies in the test's folder, replaced the way renewal tools
// replace them (write a new file, rename it over the old one) while the agent runs.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr auto kWait = 10s;

/// What the agent's <tls> element points at: copies of PKI files in `dir`/tls.
struct TlsCopies {
  std::string cert_base = "agent";  ///< the agent's certificate and key at start
  std::string crl;                  ///< the CRL at start (a PKI file name); empty: none
  std::optional<unsigned> warning_days;
};

fs::path tls_dir(const TempDir& dir) { return dir / "tls"; }

/// Puts a copy of the PKI file `from` at `to` by rename, as a renewal tool does; keys 0600.
void install(const fs::path& to, const std::string& from) {
  const fs::path temporary = to.string() + ".new";
  fs::copy_file(test_pki().file(from), temporary, fs::copy_options::overwrite_existing);
  fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(temporary, to);
}

/// Writes the agent configuration of `setup` with its TLS files replaced by copies in tls/.
fs::path write_config(const TempDir& dir, AgentSetup setup, const TlsCopies& copies) {
  const auto pki = test_pki();
  setup.cert_base = copies.cert_base;
  setup.with_crl = !copies.crl.empty();
  const auto config = write_agent_config(dir, setup);
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::create_directories(tls_dir(dir));
  const std::pair<std::string, std::string> files[] = {
      {"ca.pem", "ca.pem"},
      {copies.cert_base + ".pem", "agent.pem"},
      {copies.cert_base + ".key", "agent.key"},
      {"ca.crl", "ca.crl"}};
  for (const auto& [from, to] : files) {
    const auto at = text.find(std::string("\"").append(pki.file(from)).append("\""));
    if (at == std::string::npos) continue;
    install(tls_dir(dir) / to, from == "ca.crl" ? copies.crl : from);
    text.replace(at + 1, pki.file(from).size(), (tls_dir(dir) / to).string());
  }
  if (copies.warning_days) {
    const auto end = text.find("/>", text.find("<tls"));
    text.insert(end, " expiry-warning-days=\"" + std::to_string(*copies.warning_days) + "\"");
  }
  std::ofstream(config) << text;
  return config;
}

std::optional<nlohmann::json> wait_status(const TempDir& dir,
                                          const std::function<bool(const nlohmann::json&)>& done,
                                          std::chrono::milliseconds deadline = kWait) {
  std::optional<nlohmann::json> last;
  const bool reached = wait_until(
      [&] {
        last = agent_status(dir / "agent.sock");
        return last && done(*last);
      },
      deadline);
  return reached ? last : std::nullopt;
}

bool connected(const nlohmann::json& s) { return s["state"] == "connected"; }

/// The configuration of an agent whose one gateway is `gw`, known as gw1.example.test.
fs::path write_config(const TempDir& dir, const GatewayProcess& gw, const TlsCopies& copies) {
  AgentSetup setup;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  return write_config(dir, setup, copies);
}

std::int64_t days_left(const nlohmann::json& s) {
  return s["certificate"]["days_left"].get<std::int64_t>();
}

bool has_warning(const nlohmann::json& s, const std::string& reason) {
  for (const auto& warning : s["certificate"]["warnings"]) {
    if (warning["reason"] == reason) return true;
  }
  return false;
}

bool reload_error_is(const nlohmann::json& s, const std::string& reason, const fs::path& file) {
  const auto& error = s["certificate"]["reload_error"];
  return error.is_object() && error["reason"] == reason && error["file"] == file.string();
}

TEST(CertificateRenewal, renewal_while_connected_shows_in_status_at_once_without_a_reconnect) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  auto agent = start_agent(dir, write_config(dir, gw, {}));
  const auto before = wait_status(dir, connected);
  ASSERT_TRUE(before) << agent->log();
  EXPECT_LT(days_left(*before), 400);

  install(tls_dir(dir) / "agent.pem", "agent-renewed.pem");
  install(tls_dir(dir) / "agent.key", "agent-renewed.key");
  const auto after = wait_status(dir, [](const auto& s) { return days_left(s) >= 499; });
  ASSERT_TRUE(after) << agent->log();
  EXPECT_NE((*after)["certificate"]["not_after"], (*before)["certificate"]["not_after"]);
  EXPECT_EQ((*after)["certificate"]["subject"], "CN=agent1.example.test");
  EXPECT_TRUE((*after)["certificate"]["reload_error"].is_null());
  EXPECT_EQ((*after)["state"], "connected");
  EXPECT_EQ((*after)["counters"]["reconnects"], (*before)["counters"]["reconnects"]);
  EXPECT_TRUE(any_line_has(agent->log(),
                           {"event=certificate-reloaded", "subject=", "not_after=2"}))
      << agent->log();
  // The pair was taken together: no refusal of a certificate without its key on the way.
  EXPECT_EQ(agent->log().find("event=certificate-refused"), std::string::npos) << agent->log();
  EXPECT_TRUE(agent->running());
}

TEST(CertificateRenewal, next_connection_presents_the_renewed_certificate) {
  TempDir dir;
  // The gateway checks agents against the CRL: the agent's first certificate is revoked.
  auto gw = start_gateway(dir, "gw1.example.test", "gw1", 0,
                          {"--crl", test_pki().file("ca.crl")});
  auto agent = start_agent(dir, write_config(dir, gw, {.cert_base = "agent-revoked"}));
  ASSERT_TRUE(wait_until(
      [&] { return any_line_has(gw.process->log(), {"event=agent-rejected", "reason=revoked"}); },
      kWait))
      << gw.process->log();

  install(tls_dir(dir) / "agent.pem", "agent-renewed.pem");
  install(tls_dir(dir) / "agent.key", "agent-renewed.key");
  const auto after =
      wait_status(dir, [](const auto& s) { return connected(s) && days_left(s) >= 499; });
  ASSERT_TRUE(after) << agent->log();
  EXPECT_NE(gw.process->log().find("event=agent-connected"), std::string::npos)
      << gw.process->log();
  EXPECT_TRUE(agent->running());
}

TEST(CertificateRenewal, broken_renewals_are_refused_and_the_old_certificate_stays_in_use) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  auto agent = start_agent(dir, write_config(dir, gw, {}));
  const auto before = wait_status(dir, connected);
  ASSERT_TRUE(before) << agent->log();
  const auto cert = tls_dir(dir) / "agent.pem";
  const auto key = tls_dir(dir) / "agent.key";

  // Garbage where the certificate was.
  std::ofstream(cert.string() + ".new") << "-----BEGIN CERTIFICATE-----\ngarbage\n";
  fs::rename(cert.string() + ".new", cert);
  auto s = wait_status(dir, [&](const auto& st) {
    return reload_error_is(st, "certificate-invalid", cert);
  });
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ((*s)["certificate"]["not_after"], (*before)["certificate"]["not_after"]);
  EXPECT_TRUE(any_line_has(agent->log(), {"event=certificate-refused", "file=" + cert.string(),
                                          "reason=certificate-invalid", "action=keep-previous"}))
      << agent->log();

  // The old material still connects: the gateway restarts, the agent comes back.
  const auto port = gw.port;
  gw.process.reset();
  gw = start_gateway(dir, "gw1-restarted", "gw1", port);
  s = wait_status(dir, [&](const auto& st) {
    return connected(st) && st["gateway_name"] == "gw1-restarted";
  });
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ((*s)["certificate"]["not_after"], (*before)["certificate"]["not_after"]);

  // A renewed certificate whose key did not come with it.
  install(cert, "agent-renewed.pem");
  ASSERT_TRUE(wait_status(dir, [&](const auto& st) {
    return reload_error_is(st, "key-mismatch", key);
  })) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=certificate-refused", "file=" + key.string(),
                                          "reason=key-mismatch"}))
      << agent->log();

  // The key arrives: both are taken, the refusal clears.
  install(key, "agent-renewed.key");
  s = wait_status(dir, [](const auto& st) {
    return st["certificate"]["reload_error"].is_null() && days_left(st) >= 499;
  });
  ASSERT_TRUE(s) << agent->log();

  // A key that became readable by others is refused; the certificate in use stays.
  fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
  ASSERT_TRUE(wait_status(dir, [&](const auto& st) {
    return reload_error_is(st, "key-exposed", key) && days_left(st) >= 499;
  })) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=certificate-refused", "file=" + key.string(),
                                          "reason=key-exposed"}))
      << agent->log();
  EXPECT_TRUE(agent->running());
}

TEST(CertificateRenewal, sighup_reloads_files_the_watch_does_not_see) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  const auto config = write_config(dir, gw, {});
  // The configured paths are symbolic links into another folder, which is not watched: a
  // renewal there is found by SIGHUP (or the next connection), not by the watch.
  const auto real = dir / "real";
  fs::create_directories(real);
  for (const char* name : {"agent.pem", "agent.key"}) {
    fs::rename(tls_dir(dir) / name, real / name);
    fs::create_symlink(real / name, tls_dir(dir) / name);
  }
  auto agent = start_agent(dir, config);
  const auto before = wait_status(dir, connected);
  ASSERT_TRUE(before) << agent->log();

  install(real / "agent.pem", "agent-renewed.pem");
  install(real / "agent.key", "agent-renewed.key");
  auto s = agent_status(dir / "agent.sock");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)["certificate"]["not_after"], (*before)["certificate"]["not_after"]);

  agent->signal(SIGHUP);
  s = wait_status(dir, [](const auto& st) { return days_left(st) >= 499; });
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ((*s)["state"], "connected");
  EXPECT_TRUE(any_line_has(agent->log(), {"event=signal", "action=reload"})) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=certificate-reloaded"})) << agent->log();
  EXPECT_TRUE(agent->running());
}

TEST(CertificateWarnings, certificate_expiring_soon_is_warned_in_status_and_log) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  auto agent = start_agent(dir, write_config(dir, gw, {.cert_base = "agent-soon"}));
  const auto s = wait_status(dir, connected);
  ASSERT_TRUE(s) << agent->log();
  EXPECT_TRUE(has_warning(*s, "expires-soon")) << s->dump();
  EXPECT_LE(days_left(*s), 10);
  EXPECT_TRUE((*s)["certificate"]["warning"].is_string()) << s->dump();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=certificate-expiring", "days_left=",
                                          "warning_days=30"}))
      << agent->log();
}

TEST(CertificateWarnings, warning_window_follows_the_configuration) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  auto agent = start_agent(
      dir, write_config(dir, gw, {.cert_base = "agent-soon", .warning_days = 0}));
  const auto s = wait_status(dir, connected);
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ((*s)["certificate"]["warnings"], nlohmann::json::array()) << s->dump();
  EXPECT_EQ(agent->log().find("event=certificate-expiring"), std::string::npos) << agent->log();
}

TEST(CertificateWarnings, out_of_date_crl_is_warned_and_its_replacement_used_at_once) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  auto agent = start_agent(dir, write_config(dir, gw, {.crl = "ca-expired.crl"}));
  bool ever_connected = false;
  auto s = wait_status(dir, [&](const auto& st) {
    ever_connected = ever_connected || connected(st);
    return st["gateways"][0]["last_error"] == "crl-expired";
  });
  ASSERT_TRUE(s) << agent->log();
  EXPECT_FALSE(ever_connected);
  EXPECT_EQ((*s)["certificate"]["crl"]["expired"], true) << s->dump();
  EXPECT_TRUE(has_warning(*s, "crl-out-of-date")) << s->dump();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=crl-out-of-date", "next_update=2020-02-01"}))
      << agent->log();

  // A current CRL is put in place: the next handshake uses it, no restart (Icinga 2 #8501).
  install(tls_dir(dir) / "ca.crl", "ca.crl");
  s = wait_status(dir, connected);
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ((*s)["certificate"]["crl"]["expired"], false) << s->dump();
  EXPECT_EQ((*s)["certificate"]["warnings"], nlohmann::json::array()) << s->dump();
  EXPECT_TRUE(agent->running());
}

TEST(CertificateWarnings, gateway_revoked_in_a_replaced_crl_is_refused_at_the_next_connection) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw-revoked");
  auto agent = start_agent(dir, write_config(dir, gw, {.crl = "ca-empty.crl"}));
  ASSERT_TRUE(wait_status(dir, connected)) << agent->log();

  install(tls_dir(dir) / "ca.crl", "ca.crl");  // now revokes gw-revoked
  ASSERT_TRUE(wait_until(
      [&] { return any_line_has(agent->log(), {"event=certificate-reloaded"}); }, kWait))
      << agent->log();
  const auto port = gw.port;
  gw.process.reset();
  gw = start_gateway(dir, "gw1-restarted", "gw-revoked", port);
  bool ever_connected = false;
  ASSERT_TRUE(wait_status(dir, [&](const auto& st) {
    ever_connected = ever_connected || connected(st);
    return st["gateways"][0]["last_error"] == "revoked";
  })) << agent->log();
  EXPECT_FALSE(ever_connected) << agent->log();
}

}  // namespace
}  // namespace gatelink::test
