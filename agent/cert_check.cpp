#include "cert_check.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <memory>

#include "common/escape.hpp"
#include "status/status_time.hpp"
#include "status_document.hpp"
#include "status_text.hpp"
#include "tls/certificate_info.hpp"
#include "tls/key_permissions.hpp"
#include "tls/openssl_support.hpp"
#include "tls/peer_verification.hpp"
#include "tls/tls_context.hpp"

namespace gatelink {
namespace {

using tls::detail::X509Ptr;
using StorePtr = std::unique_ptr<X509_STORE, tls::detail::Deleter<X509_STORE, X509_STORE_free>>;
using StoreContextPtr =
    std::unique_ptr<X509_STORE_CTX, tls::detail::Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, tls::detail::Deleter<X509_CRL, X509_CRL_free>>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), decltype([](STACK_OF(X509)* s) {
                                       sk_X509_pop_free(s, X509_free);
                                     })>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, decltype([](GENERAL_NAMES* names) {
                                   GENERAL_NAMES_free(names);
                                 })>;
using UsagesPtr = std::unique_ptr<EXTENDED_KEY_USAGE, decltype([](EXTENDED_KEY_USAGE* usages) {
                                    EXTENDED_KEY_USAGE_free(usages);
                                  })>;

constexpr std::size_t kLabelWidth = 13;

/// What the checks share: the report being written and the material read so far.
struct Checker {
  const AgentConfig& config;
  WallTime now;
  CertCheck report;
  std::vector<X509Ptr> chain;  ///< the certificate file: the leaf, then its intermediates
  StorePtr trust{X509_STORE_new()};
  bool trust_loaded = false;

  void fact(std::string label, std::string value) {
    report.facts.push_back({std::move(label), std::move(value)});
  }
  void problem(std::string text) { report.problems.push_back(std::move(text)); }
  X509* leaf() const { return chain.empty() ? nullptr : chain.front().get(); }
};

WallTime time_of(const ASN1_TIME* time) {
  std::tm utc{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &utc) != 1) return WallTime{};
  using namespace std::chrono;
  const sys_days date = year{utc.tm_year + 1900} / month{static_cast<unsigned>(utc.tm_mon + 1)} /
                        day{static_cast<unsigned>(utc.tm_mday)};
  return time_point_cast<WallTime::duration>(date + hours{utc.tm_hour} + minutes{utc.tm_min} +
                                             seconds{utc.tm_sec});
}

std::string date_of(const ASN1_TIME* time) {
  return time == nullptr ? std::string("none") : status_document::date_and_time(time_of(time));
}

/// Whole days from `now` to `then`, negative when past.
long days_between(WallTime now, WallTime then) {
  return static_cast<long>(
      std::chrono::floor<std::chrono::days>(then - now).count());
}

std::string name_of(const X509_NAME* name) { return printable(tls::detail::rfc2253(name)); }

/// `DNS:a.example, IP:127.0.0.1`.
std::string subject_alt_names(const X509* cert) {
  NamesPtr names{static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  std::string out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(names.get(), i);
    std::string item;
    if (entry->type == GEN_DNS || entry->type == GEN_EMAIL || entry->type == GEN_URI) {
      const ASN1_IA5STRING* value = entry->d.ia5;
      item = std::string(entry->type == GEN_DNS ? "DNS:" : entry->type == GEN_URI ? "URI:" : "email:") +
             printable(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                        static_cast<std::size_t>(ASN1_STRING_length(value))));
    } else if (entry->type == GEN_IPADD) {
      tls::detail::BioPtr bio{BIO_new(BIO_s_mem())};
      char* data = nullptr;
      // GENERAL_NAME_print writes `IP Address:127.0.0.1`.
      if (bio && GENERAL_NAME_print(bio.get(), const_cast<GENERAL_NAME*>(entry)) == 1) {
        const long size = BIO_get_mem_data(bio.get(), &data);
        std::string text(data, static_cast<std::size_t>(size > 0 ? size : 0));
        if (text.starts_with("IP Address:")) text = "IP:" + text.substr(11);
        item = printable(text);
      }
    } else {
      item = "other";
    }
    out += (out.empty() ? "" : ", ") + item;
  }
  ERR_clear_error();
  return out.empty() ? "none" : out;
}

/// `clientAuth, serverAuth`, or nullopt when the certificate has no extendedKeyUsage.
std::optional<std::string> extended_key_usages(const X509* cert) {
  UsagesPtr usages{static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))};
  ERR_clear_error();
  if (!usages) return std::nullopt;
  std::string out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    const ASN1_OBJECT* usage = sk_ASN1_OBJECT_value(usages.get(), i);
    std::array<char, 80> name{};
    const int nid = OBJ_obj2nid(usage);
    if (nid != NID_undef) {
      out += (out.empty() ? "" : ", ") + std::string(OBJ_nid2sn(nid));
    } else {
      OBJ_obj2txt(name.data(), static_cast<int>(name.size()), usage, 1);
      out += (out.empty() ? "" : ", ") + std::string(name.data());
    }
  }
  return out;
}

void check_certificate(Checker& c) {
  const std::string& path = c.config.tls.cert;
  c.fact("certificate", printable(path));
  auto loaded = tls::detail::for_each_pem<X509, X509_free>(
      "certificate file", path, "certificate", PEM_read_bio_X509, [&c](X509* cert) -> std::string {
        X509_up_ref(cert);
        c.chain.emplace_back(cert);
        return "";
      });
  if (!loaded) {
    c.chain.clear();
    c.problem(printable(loaded.error().message));
    return;
  }
  X509* leaf = c.leaf();
  c.fact("subject", name_of(X509_get_subject_name(leaf)));
  c.fact("issuer", name_of(X509_get_issuer_name(leaf)));
  c.fact("names", subject_alt_names(leaf));
  if (!tls::identity_matches(tls::certificate_identities(leaf), c.config.name)) {
    c.problem("the certificate does not name the agent " + printable(c.config.name) +
              " (neither its CN nor a DNS name): gateways refuse its hello");
  }

  const std::optional<std::string> usages = extended_key_usages(leaf);
  c.fact("usages", usages ? (usages->empty() ? "none" : *usages)
                          : "no extendedKeyUsage extension");
  // As the gateways judge it (tls/peer_verification.cpp): clientAuth written in the certificate.
  if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) == 0) {
    c.problem("the certificate lacks the clientAuth extended key usage: gateways refuse it "
              "(wrong-purpose)");
  }

  const WallTime not_before = time_of(X509_get0_notBefore(leaf));
  const WallTime not_after = time_of(X509_get0_notAfter(leaf));
  const long days_left = days_between(c.now, not_after);
  std::string validity = date_of(X509_get0_notBefore(leaf)) + " .. " +
                         date_of(X509_get0_notAfter(leaf));
  if (c.now > not_after) {
    validity += " (expired)";
    c.problem("the certificate expired on " + date_of(X509_get0_notAfter(leaf)) + " (" +
              std::to_string(days_between(not_after, c.now)) +
              " days ago): renew it");
  } else if (c.now < not_before) {
    validity += " (not valid yet)";
    c.problem("the certificate is not valid before " + date_of(X509_get0_notBefore(leaf)) +
              ": check this host's clock");
  } else {
    validity += " (" + std::to_string(days_left) + " days left)";
    if (days_left < kCertificateWarningDays) {
      c.report.warnings.push_back("the certificate expires in " + std::to_string(days_left) +
                                  " days: renew it soon");
    }
  }
  c.fact("valid", validity);
}

void check_key(Checker& c) {
  const std::string& path = c.config.tls.key;
  std::string value = printable(path);
  if (struct stat info {}; ::stat(path.c_str(), &info) == 0) {
    std::array<char, 16> mode{};
    std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    value += ": mode " + std::string(mode.data());
  }
  if (auto permitted = tls::check_private_key_permissions(path); !permitted) {
    c.problem(printable(permitted.error().message));
  }
  auto bio = tls::detail::open_pem_file("key file", path);
  if (!bio) {
    c.fact("key", value);
    c.problem(printable(bio.error().message));
    return;
  }
  // No passphrase prompt: the agent has no terminal either.
  tls::detail::KeyPtr key{PEM_read_bio_PrivateKey(
      bio->get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr)};
  ERR_clear_error();
  if (!key) {
    c.fact("key", value);
    c.problem("key file " + printable(path) +
              " holds no unencrypted PEM private key (encrypted keys are not supported)");
    return;
  }
  if (c.leaf() != nullptr) {
    if (X509_check_private_key(c.leaf(), key.get()) == 1) {
      value += ", matches the certificate";
    } else {
      value += ", does NOT match the certificate";
      c.problem("the key in " + printable(path) + " does not match the certificate in " +
                printable(c.config.tls.cert) + ": install the key it was issued for");
    }
    ERR_clear_error();
  }
  c.fact("key", value);
}

void check_chain(Checker& c) {
  const std::string& path = c.config.tls.ca;
  X509_STORE* store = c.trust.get();
  auto loaded = tls::detail::add_trust_anchors(store, path);
  if (!loaded) {
    c.fact("chain", "not checked");
    c.problem(printable(loaded.error().message));
    return;
  }
  c.trust_loaded = true;
  if (c.leaf() == nullptr) {
    c.fact("chain", "not checked (no certificate)");
    return;
  }
  CertStackPtr intermediates{sk_X509_new_null()};
  for (std::size_t i = 1; i < c.chain.size(); ++i) sk_X509_push(intermediates.get(), c.chain[i].get());
  for (std::size_t i = 1; i < c.chain.size(); ++i) X509_up_ref(c.chain[i].get());
  StoreContextPtr context{X509_STORE_CTX_new()};
  if (!context || X509_STORE_CTX_init(context.get(), store, c.leaf(), intermediates.get()) != 1) {
    c.fact("chain", "not checked");
    c.problem("cannot verify the chain: " + tls::detail::take_openssl_error());
    return;
  }
  // Dates and usage have their own lines: the chain line says whether the CA signed it.
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(context.get()) == 1) {
    std::string path_text;
    STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(context.get());
    for (int i = 1; i < sk_X509_num(verified); ++i) {
      X509* ca = sk_X509_value(verified, i);
      path_text += (path_text.empty() ? "" : " <- ") + name_of(X509_get_subject_name(ca));
      if (c.now > time_of(X509_get0_notAfter(ca))) {
        c.problem("the CA certificate " + name_of(X509_get_subject_name(ca)) + " expired on " +
                  date_of(X509_get0_notAfter(ca)));
      }
    }
    c.fact("chain", "signed by " + path_text + " (" + printable(path) + ")");
  } else {
    const int error = X509_STORE_CTX_get_error(context.get());
    c.fact("chain", "NOT verified against " + printable(path));
    c.problem("the certificate does not chain to the CA in " + printable(path) + ": " +
              X509_verify_cert_error_string(error) + " (" + tls::rejection_reason(error) + ")");
  }
  ERR_clear_error();
}

void check_crl(Checker& c) {
  const std::string& path = c.config.tls.crl;
  if (path.empty()) {
    c.fact("crl", "none configured: gateways' certificates are not checked for revocation");
    return;
  }
  std::vector<CrlPtr> crls;
  auto loaded = tls::detail::for_each_pem<X509_CRL, X509_CRL_free>(
      "CRL file", path, "CRL", PEM_read_bio_X509_CRL, [&crls](X509_CRL* crl) -> std::string {
        X509_CRL_up_ref(crl);
        crls.emplace_back(crl);
        return "";
      });
  if (!loaded) {
    c.fact("crl", printable(path));
    c.problem(printable(loaded.error().message));
    return;
  }
  std::string value = printable(path) + ":";
  bool revoked = false;
  for (const CrlPtr& crl : crls) {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    value += " by " + name_of(X509_CRL_get_issuer(crl.get())) + ", next update " + date_of(next);
    if (c.trust_loaded && !tls::detail::issued_by_trust_anchor(c.trust.get(), crl.get())) {
      c.problem("the CRL in " + printable(path) + " was not issued by the configured CA");
    }
    if (next != nullptr && c.now > time_of(next)) {
      value += " (passed)";
      c.problem("the CRL's next update " + date_of(next) +
                " has passed: every gateway is refused (crl-expired) until a fresh CRL is "
                "installed");
    } else if (next != nullptr) {
      value += " (" + status_document::due_in(time_of(next), c.now) + ")";
    }
    X509_REVOKED* entry = nullptr;
    if (c.leaf() != nullptr && X509_CRL_get0_by_cert(crl.get(), &entry, c.leaf()) == 1) {
      revoked = true;
      c.problem("the certificate is revoked (since " +
                date_of(X509_REVOKED_get0_revocationDate(entry)) + " in " + printable(path) +
                "): gateways refuse it");
    }
  }
  if (c.leaf() != nullptr) value += revoked ? "; the certificate is REVOKED" : "; certificate not revoked";
  ERR_clear_error();
  c.fact("crl", value);
}

}  // namespace

CertCheck check_agent_certificate(const AgentConfig& config, WallTime now) {
  Checker c{.config = config, .now = now};
  check_certificate(c);
  check_key(c);
  check_chain(c);
  check_crl(c);
  // What the agent itself would refuse at start, should none of the above have named it.
  if (c.report.problems.empty()) {
    const tls::Files files{.ca = config.tls.ca, .cert = config.tls.cert, .key = config.tls.key,
                           .crl = config.tls.crl};
    if (auto context = tls::make_client_context(files); !context) {
      c.problem(printable(context.error().message));
    }
  }
  return std::move(c.report);
}

std::string render_cert_check(const CertCheck& check) {
  std::string out;
  const auto line = [&out](const std::string& label, const std::string& value) {
    std::string text = label;
    text.append(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ');
    out += wrap(text + value, kLabelWidth) + '\n';
  };
  for (const CertCheck::Fact& fact : check.facts) line(fact.label, fact.value);
  for (const std::string& warning : check.warnings) line("warning", warning);
  for (const std::string& problem : check.problems) line("PROBLEM", problem);
  if (check.usable()) {
    out += "usable: gatelink-agent can connect with these files\n";
  } else {
    out += "NOT usable: " + std::to_string(check.problems.size()) +
           (check.problems.size() == 1 ? " problem" : " problems") + "\n";
  }
  return out;
}

}  // namespace gatelink
