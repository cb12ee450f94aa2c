#include "unit/tls_test_support.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <stdlib.h>

#include <cstdlib>
#include <stdexcept>

#include "tls/client_stream.hpp"
#include "tls/peer_verification.hpp"

namespace gatelink::tls::test {
namespace {

/// A full handshake takes a handful of rounds; more means the two sides are stuck.
constexpr int kMaxRounds = 50;

struct Step {
  bool finished = false;
};

// One SSL_do_handshake() on a side that has not finished yet.
void step(SSL* ssl, SideOutcome& outcome, Step& state) {
  if (state.finished) {
    return;
  }
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl);
  if (result == 1) {
    outcome.ok = true;
    state.finished = true;
    return;
  }
  const int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    return;
  }
  state.finished = true;
  outcome.error = ERR_peek_error();
  outcome.reason = handshake_rejection_reason(ssl, outcome.error);
  ERR_clear_error();
}

}  // namespace

std::string pki(const std::string& file) {
  const char* dir = std::getenv("GATELINK_TEST_PKI");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("GATELINK_TEST_PKI is not set; run the tests with ctest");
  }
  return std::string(dir) + "/" + file;
}

Files pki_files(const std::string& base, const std::string& crl) {
  return Files{pki("ca.pem"), pki(base + ".pem"), pki(base + ".key"), crl.empty() ? "" : pki(crl)};
}

ScratchCopy::ScratchCopy(const std::string& pki_file) {
  std::string pattern = (std::filesystem::temp_directory_path() / "gatelink-tls-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  folder_ = pattern;
  path_ = (folder_ / pki_file).string();
  std::filesystem::copy_file(pki(pki_file), path_);
}

ScratchCopy::~ScratchCopy() {
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void ScratchCopy::set_mode(std::filesystem::perms mode) const {
  std::filesystem::permissions(path_, mode);
}

MemoryHandshake::MemoryHandshake(const ContextPtr& client, const ContextPtr& server)
    : client_context_(client),
      server_context_(server),
      client_(SSL_new(client->native_handle())),
      server_(SSL_new(server->native_handle())) {
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  if (!client_ || !server_ || BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) {
    throw std::runtime_error("cannot make an in-memory TLS pair");
  }
  SSL_set_bio(client_.get(), client_end, client_end);
  SSL_set_bio(server_.get(), server_end, server_end);
  SSL_set_connect_state(client_.get());
  SSL_set_accept_state(server_.get());
}

void MemoryHandshake::run() {
  Step client_state;
  Step server_state;
  for (int round = 0; round < kMaxRounds && !(client_state.finished && server_state.finished);
       ++round) {
    step(client(), client_outcome_, client_state);
    step(server(), server_outcome_, server_state);
  }
  if (!(client_state.finished && server_state.finished)) {
    throw std::runtime_error("in-memory handshake did not finish");
  }
  if (client_outcome_.ok) {
    // The client's first read, as a real one makes: the verdict of a TLS 1.3 server on our
    // certificate, or the tickets it sent after the handshake.
    ERR_clear_error();
    char byte = 0;
    const int result = SSL_read(client(), &byte, 1);
    if (result <= 0 && SSL_get_error(client(), result) == SSL_ERROR_SSL) {
      client_outcome_.ok = false;
      client_outcome_.error = ERR_peek_error();
      client_outcome_.reason = handshake_rejection_reason(client(), client_outcome_.error);
    }
    ERR_clear_error();
  }
}

std::unique_ptr<MemoryHandshake> prepare(const Link& link) {
  auto client = make_client_context(pki_files(link.agent, link.agent_crl));
  auto server = make_server_context(pki_files(link.gateway, link.gateway_crl));
  EXPECT_TRUE(client.ok()) << (client ? "" : client.error().message);
  EXPECT_TRUE(server.ok()) << (server ? "" : server.error().message);
  if (!client || !server) {
    return nullptr;
  }
  auto pair = std::make_unique<MemoryHandshake>(*client, *server);
  const auto prepared = prepare_client_stream(pair->client(), link.expected_name);
  EXPECT_TRUE(prepared.ok()) << (prepared ? "" : prepared.error().message);
  return pair;
}

CapturedLog::CapturedLog()
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64)),
      previous_(spdlog::default_logger()) {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("tls-test", sink_));
}

CapturedLog::~CapturedLog() { spdlog::set_default_logger(previous_); }

// Runs the link; one side's verdict: "accepted" or its reason.
std::string verdict(const Link& link, const SideOutcome& (MemoryHandshake::*side)() const) {
  const auto pair = prepare(link);
  if (!pair) {
    return "no context";
  }
  pair->run();
  const SideOutcome& outcome = ((*pair).*side)();
  return outcome.ok ? "accepted" : outcome.reason;
}

std::string agent_verdict(const Link& link) {
  return verdict(link, &MemoryHandshake::client_outcome);
}

std::string gateway_verdict(const Link& link) {
  return verdict(link, &MemoryHandshake::server_outcome);
}

std::string case_name(const ::testing::TestParamInfo<VerdictCase>& info) { return info.param.name; }

void PrintTo(const VerdictCase& row, std::ostream* out) { *out << row.name; }

}  // namespace gatelink::tls::test
