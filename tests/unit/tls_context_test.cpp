// What the context builders set up, and how they refuse bad files: each error names the file.

#include "tls/tls_context.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <filesystem>

#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using test::pki;
using test::pki_files;
using test::ScratchCopy;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

/// Rewrites the key file at `path` encrypted with a passphrase.
bool encrypt_in_place(const std::string& path) {
  BIO* in = BIO_new_file(path.c_str(), "r");
  EVP_PKEY* key = in != nullptr ? PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(in);
  BIO* out = BIO_new_file(path.c_str(), "w");
  static char passphrase[] = "secret";
  const bool written =
      key != nullptr && out != nullptr &&
      PEM_write_bio_PrivateKey(out, key, EVP_aes_256_cbc(), nullptr, 0, nullptr, passphrase) == 1;
  BIO_free(out);
  EVP_PKEY_free(key);
  return written;
}

/// Both builders, so that every property is checked on each side.
ContextResult build(bool server, const Files& files) {
  return server ? make_server_context(files) : make_client_context(files);
}

class ContextSide : public ::testing::TestWithParam<bool> {
 protected:
  SSL_CTX* built(const Files& files) {
    auto context = build(GetParam(), files);
    EXPECT_TRUE(context.ok()) << (context ? "" : context.error().message);
    if (!context) {
      return nullptr;
    }
    context_ = *context;
    return context_->native_handle();
  }
  std::string refusal(const Files& files) {
    auto context = build(GetParam(), files);
    return context ? "built" : context.error().message;
  }

 private:
  ContextPtr context_;
};

INSTANTIATE_TEST_SUITE_P(Tls, ContextSide, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& side) {
                           return side.param ? "server" : "client";
                         });

TEST_P(ContextSide, requires_tls12_at_least) {
  SSL_CTX* ctx = built(pki_files(GetParam() ? "gw1" : "agent"));
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
}

TEST_P(ContextSide, refuses_compression_and_renegotiation_and_keeps_no_session_cache) {
  SSL_CTX* ctx = built(pki_files("gw1"));
  ASSERT_NE(ctx, nullptr);
  const auto options = SSL_CTX_get_options(ctx);
  EXPECT_NE(options & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(options & SSL_OP_NO_RENEGOTIATION, 0u);
  // The gateway never; the agent only in its SessionTickets, not in the context.
  const long mode = SSL_CTX_get_session_cache_mode(ctx);
  EXPECT_EQ(mode & SSL_SESS_CACHE_SERVER, 0);
  if (!GetParam()) {
    EXPECT_NE(mode & SSL_SESS_CACHE_NO_INTERNAL_STORE, 0);
  }
}

TEST(ServerContext, issues_no_ticket_without_ticket_keys) {
  auto context = make_server_context(pki_files("gw1"));
  ASSERT_TRUE(context.ok()) << context.error().message;
  SSL_CTX* ctx = (*context)->native_handle();
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET, 0u);
  EXPECT_EQ(SSL_CTX_get_num_tickets(ctx), 0u);
}

TEST_P(ContextSide, requires_a_peer_certificate) {
  SSL_CTX* ctx = built(pki_files("gw1"));
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_NE(SSL_CTX_get_verify_callback(ctx), nullptr);
}

TEST_P(ContextSide, trusts_only_the_configured_ca) {
  SSL_CTX* ctx = built(pki_files("gw1"));
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx))), 1);
}

TEST_P(ContextSide, crl_turns_on_revocation_check) {
  SSL_CTX* ctx = built(pki_files("gw1", "ca.crl"));
  ASSERT_NE(ctx, nullptr);
  const X509_VERIFY_PARAM* param = X509_STORE_get0_param(SSL_CTX_get_cert_store(ctx));
  EXPECT_NE(X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_CRL_CHECK, 0u);
}

TEST_P(ContextSide, missing_ca_file_is_named) {
  Files files = pki_files("gw1");
  files.ca = "/nonexistent/ca.pem";
  EXPECT_THAT(refusal(files), HasSubstr("CA file /nonexistent/ca.pem: cannot open"));
}

TEST_P(ContextSide, ca_file_without_certificate_is_refused) {
  Files files = pki_files("gw1");
  files.ca = pki("ca.crl");
  EXPECT_THAT(refusal(files), HasSubstr("holds no PEM certificate"));
}

TEST_P(ContextSide, leaf_certificate_as_ca_is_refused) {
  Files files = pki_files("gw1");
  files.ca = pki("gw1.pem");
  EXPECT_THAT(refusal(files), HasSubstr("not a CA certificate"));
}

TEST_P(ContextSide, key_of_another_certificate_is_refused) {
  Files files = pki_files("gw1");
  files.key = pki("gw2.key");
  EXPECT_THAT(refusal(files), HasSubstr("does not match the certificate in " + files.cert));
}

TEST_P(ContextSide, crl_of_another_ca_is_refused) {
  EXPECT_THAT(refusal(pki_files("gw1", "other-ca.crl")),
              HasSubstr("holds a CRL not issued by the configured CA"));
}

TEST_P(ContextSide, missing_crl_file_is_named) {
  Files files = pki_files("gw1");
  files.crl = "/nonexistent/ca.crl";
  EXPECT_THAT(refusal(files), HasSubstr("CRL file /nonexistent/ca.crl: cannot open"));
}

TEST_P(ContextSide, unprotected_key_file_is_refused) {
  const ScratchCopy key("gw1.key");
  Files files = pki_files("gw1");
  files.key = key.path();
  key.set_mode(fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
               fs::perms::others_read);
  EXPECT_THAT(refusal(files), HasSubstr("UNPROTECTED PRIVATE KEY FILE: " + files.key));
  key.set_mode(fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(refusal(files), "built");
}

TEST_P(ContextSide, encrypted_key_is_refused_without_prompting) {
  const ScratchCopy key("gw1.key");
  ASSERT_TRUE(encrypt_in_place(key.path()));
  Files files = pki_files("gw1");
  files.key = key.path();
  EXPECT_THAT(refusal(files), HasSubstr("encrypted keys are not supported"));
}

}  // namespace
}  // namespace gatelink::tls
