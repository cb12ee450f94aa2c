// The reason words that logs, status and tests rely on.

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "tls/peer_verification.hpp"

namespace gatelink::tls {
namespace {

TEST(RejectionReason, verify_results_map_to_short_reasons) {
  EXPECT_EQ(rejection_reason(X509_V_OK), "");
  EXPECT_EQ(rejection_reason(X509_V_ERR_CERT_HAS_EXPIRED), "expired");
  EXPECT_EQ(rejection_reason(X509_V_ERR_CERT_NOT_YET_VALID), "not-yet-valid");
  EXPECT_EQ(rejection_reason(X509_V_ERR_HOSTNAME_MISMATCH), "name-mismatch");
  EXPECT_EQ(rejection_reason(X509_V_ERR_IP_ADDRESS_MISMATCH), "name-mismatch");
  EXPECT_EQ(rejection_reason(X509_V_ERR_INVALID_PURPOSE), "wrong-purpose");
  EXPECT_EQ(rejection_reason(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY), "untrusted");
  EXPECT_EQ(rejection_reason(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT), "untrusted");
  EXPECT_EQ(rejection_reason(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN), "untrusted");
  EXPECT_EQ(rejection_reason(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT), "untrusted");
  EXPECT_EQ(rejection_reason(X509_V_ERR_CERT_REVOKED), "revoked");
  EXPECT_EQ(rejection_reason(X509_V_ERR_UNABLE_TO_GET_CRL), "crl-missing");
  EXPECT_EQ(rejection_reason(X509_V_ERR_CRL_HAS_EXPIRED), "crl-expired");
  EXPECT_EQ(rejection_reason(X509_V_ERR_CERT_CHAIN_TOO_LONG), "verify-error-22");
}

TEST(RejectionReason, handshake_errors_without_verify_failure) {
  const auto ssl_error = [](int reason) { return ERR_PACK(ERR_LIB_SSL, 0, reason); };
  EXPECT_EQ(handshake_rejection_reason(nullptr, ssl_error(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)),
            "no-certificate");
  EXPECT_EQ(handshake_rejection_reason(nullptr, ssl_error(SSL_R_TLSV1_ALERT_UNKNOWN_CA)),
            "refused-by-peer");
  EXPECT_EQ(handshake_rejection_reason(nullptr, ssl_error(SSL_R_WRONG_VERSION_NUMBER)), "");
  EXPECT_EQ(handshake_rejection_reason(nullptr, 0), "");
}

}  // namespace
}  // namespace gatelink::tls
