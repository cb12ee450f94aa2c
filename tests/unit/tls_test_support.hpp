#pragma once
// Shared by the tls tests: the test PKI's files (GATELINK_TEST_PKI, made by the pki_setup
// fixture), a scratch copy of one of them, and TLS handshakes between two SSL objects joined by
// a BIO pair and pumped in a loop: no sockets, no threads, the same outcome every run.

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tls/tls_context.hpp"

namespace gatelink::tls::test {

/// A file of the test PKI, e.g. pki("gw1.pem"); throws when GATELINK_TEST_PKI is not set.
std::string pki(const std::string& file);

/// ca.pem, BASE.pem and BASE.key of the test PKI, and `crl` (a PKI file name) if not empty.
Files pki_files(const std::string& base, const std::string& crl = "");

/// A copy of a test PKI file in a folder of its own (mode 0700), for tests that change the
/// file's mode or content; the folder goes with this object.
class ScratchCopy {
 public:
  explicit ScratchCopy(const std::string& pki_file);
  ~ScratchCopy();
  ScratchCopy(const ScratchCopy&) = delete;
  ScratchCopy& operator=(const ScratchCopy&) = delete;

  const std::string& path() const { return path_; }
  std::string folder() const { return folder_.string(); }
  void set_mode(std::filesystem::perms mode) const;

 private:
  std::filesystem::path folder_;
  std::string path_;
};

/// While it lives, spdlog's default logger writes into memory instead of the console.
class CapturedLog {
 public:
  CapturedLog();
  ~CapturedLog();
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  /// The lines logged so far, formatted.
  std::vector<std::string> lines() const { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

/// How one side's handshake ended.
struct SideOutcome {
  bool ok = false;          ///< handshake done and, for a TLS 1.3 client, not refused afterwards
  unsigned long error = 0;  ///< the first OpenSSL error of this side
  std::string reason;       ///< handshake_rejection_reason() of this side
};

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

/// A client and a server SSL made from the given contexts, joined in memory.
class MemoryHandshake {
 public:
  MemoryHandshake(const ContextPtr& client, const ContextPtr& server);

  SSL* client() const { return client_.get(); }
  SSL* server() const { return server_.get(); }

  /// Pumps both sides until each has finished or failed. A TLS 1.3 client finishes before the
  /// server has judged its certificate, so the client then reads once to learn the verdict (and
  /// takes the session tickets a server sent after the handshake).
  void run();

  const SideOutcome& client_outcome() const { return client_outcome_; }
  const SideOutcome& server_outcome() const { return server_outcome_; }

 private:
  ContextPtr client_context_;  ///< kept for the streams' lifetime, as streams do (ticket keys)
  ContextPtr server_context_;
  std::unique_ptr<SSL, SslFree> client_;
  std::unique_ptr<SSL, SslFree> server_;
  SideOutcome client_outcome_;
  SideOutcome server_outcome_;
};

/// One agent-to-gateway connection: test PKI base names, CRL file names (empty: none) and the
/// name the agent expects.
struct Link {
  std::string agent = "agent";
  std::string agent_crl;
  std::string gateway = "gw1";
  std::string gateway_crl;
  std::string expected_name = "gw1.example.test";
};

/// The link's two contexts joined, the client stream prepared, not yet run; null (after a
/// test failure) if a context could not be built.
std::unique_ptr<MemoryHandshake> prepare(const Link& link);

/// Runs the link: the agent's reason for refusing the gateway, or "accepted".
std::string agent_verdict(const Link& link);

/// Runs the link: the gateway's reason for refusing the agent, or "accepted".
std::string gateway_verdict(const Link& link);

/// One row of a verdict table: the test's name, a link, and the verdict one side gives.
struct VerdictCase {
  const char* name;
  Link link;
  const char* verdict;
};

/// Names a parameterized test after its row.
std::string case_name(const ::testing::TestParamInfo<VerdictCase>& info);

/// Shows a row by its name in GoogleTest's messages.
void PrintTo(const VerdictCase& row, std::ostream* out);

}  // namespace gatelink::tls::test
