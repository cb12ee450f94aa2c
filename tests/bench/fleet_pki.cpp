// The fleet's identities: one shared key, one certificate per agent (fleet_pki.hpp).

#include "bench/fleet_pki.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "tls/openssl_support.hpp"

namespace gatelink::fleet {

namespace fs = std::filesystem;

namespace {

using tls::detail::BioPtr;
using tls::detail::Deleter;
using tls::detail::KeyPtr;
using tls::detail::X509Ptr;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

/// Validity of the agents' certificates: longer than any warning window of the agent.
constexpr long kValiditySeconds = 365L * 24 * 3600;

[[noreturn]] void fail(const std::string& what) {
  char reason[256] = "no reason given";
  if (const auto code = ERR_get_error(); code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error("fleet identities: " + what + ": " + reason);
}

BioPtr open_file(const fs::path& path, const char* mode) {
  BioPtr bio(BIO_new_file(path.c_str(), mode));
  if (!bio) fail("cannot open " + path.string());
  return bio;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("extension " + value);
}

}  // namespace

fs::path FleetIdentities::certificate(std::size_t index) const {
  char name[32];
  std::snprintf(name, sizeof name, "%05zu.pem", index);
  return certificates / name;
}

std::string agent_name(std::size_t index) {
  char name[48];
  std::snprintf(name, sizeof name, "agent-%05zu.fleet.test", index);
  return name;
}

FleetIdentities make_fleet_identities(const fs::path& ca_dir, const fs::path& out,
                                      std::size_t count) {
  X509Ptr ca(PEM_read_bio_X509(open_file(ca_dir / "ca.pem", "r").get(), nullptr, nullptr, nullptr));
  if (!ca) fail("ca.pem");
  KeyPtr ca_key(
      PEM_read_bio_PrivateKey(open_file(ca_dir / "ca.key", "r").get(), nullptr, nullptr, nullptr));
  if (!ca_key) fail("ca.key");
  // Ed25519 and Ed448 sign with no separate digest; every other key type with SHA-256.
  const auto ca_type = EVP_PKEY_get_id(ca_key.get());
  const EVP_MD* digest =
      ca_type == EVP_PKEY_ED25519 || ca_type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();

  FleetIdentities ids{.key = out / "agent.key", .certificates = out / "agents"};
  fs::create_directories(ids.certificates);
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("new key");
  {
    const auto old = ::umask(077);  // the agent refuses a key others may read
    auto bio = open_file(ids.key, "w");
    ::umask(old);
    if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
        1) {
      fail("write " + ids.key.string());
    }
  }

  for (std::size_t i = 0; i < count; ++i) {
    const auto name = agent_name(i);
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("new certificate");
    BnPtr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
      fail("serial");
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr ||
        X509_set_pubkey(cert.get(), key.get()) != 1) {
      fail("certificate fields");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), &ctx, NID_ext_key_usage, "clientAuth");
    add_extension(cert.get(), &ctx, NID_subject_alt_name, "DNS:" + name);
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), ca_key.get(), digest) == 0) fail("sign " + name);
    auto bio = open_file(ids.certificate(i), "w");
    if (PEM_write_bio_X509(bio.get(), cert.get()) != 1) fail("write certificate " + name);
  }
  return ids;
}

}  // namespace gatelink::fleet
