#include "tls/certificate_info.hpp"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "tls/openssl_support.hpp"

namespace gatelink::tls {
namespace {

/// Years past this do not fit system_clock on every platform (nanoseconds end in 2262);
/// RFC 5280's "no expiry" date 9999-12-31 lands here.
constexpr int kLastRepresentableYear = 2200;

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};

// UTF-8 text of an ASN.1 string; empty for an embedded NUL, which no real name holds.
std::string utf8_of(const ASN1_STRING* text) {
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, text);
  if (size < 0) {
    ERR_clear_error();
    return "";
  }
  std::string result(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return result.find('\0') == std::string::npos ? result : "";
}

std::string last_common_name(const X509_NAME* name) {
  std::string common_name;
  for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
    common_name = utf8_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  }
  return common_name;
}

std::vector<std::string> san_dns_names(const X509* cert) {
  std::vector<std::string> names;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(sans.get(), i);
    if (entry->type == GEN_DNS) {
      if (std::string name = utf8_of(entry->d.dNSName); !name.empty()) {
        names.push_back(std::move(name));
      }
    }
  }
  return names;
}

std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time) {
  using namespace std::chrono;
  std::tm utc{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &utc) != 1) {
    return system_clock::time_point{};
  }
  if (utc.tm_year + 1900 > kLastRepresentableYear) {
    return system_clock::time_point::max();
  }
  const sys_days date = year{utc.tm_year + 1900} / month{static_cast<unsigned>(utc.tm_mon + 1)} /
                        day{static_cast<unsigned>(utc.tm_mday)};
  return time_point_cast<system_clock::duration>(date + hours{utc.tm_hour} + minutes{utc.tm_min} +
                                                 seconds{utc.tm_sec});
}

bool same_dns_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    return lower(x) == lower(y);
  });
}

}  // namespace

CertificateInfo certificate_info(const X509* cert) {
  CertificateInfo info;
  info.subject = detail::rfc2253(X509_get_subject_name(cert));
  info.issuer = detail::rfc2253(X509_get_issuer_name(cert));
  info.not_after = time_point_of(X509_get0_notAfter(cert));
  info.common_name = last_common_name(X509_get_subject_name(cert));
  info.dns_names = san_dns_names(cert);
  return info;
}

CrlInfo crl_info(const X509_CRL* crl) {
  CrlInfo info;
  info.issuer = detail::rfc2253(X509_CRL_get_issuer(crl));
  info.last_update = time_point_of(X509_CRL_get0_lastUpdate(crl));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl); next != nullptr) {
    info.next_update = time_point_of(next);
  }
  return info;
}

Result<CertificateInfo> read_certificate_info(const std::string& path) {
  auto bio = detail::open_pem_file("certificate file", path);
  if (!bio) {
    return bio.error();
  }
  detail::X509Ptr cert{PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)};
  if (!cert) {
    ERR_clear_error();
    return detail::file_problem("certificate file", path, "holds no PEM certificate");
  }
  return certificate_info(cert.get());
}

std::vector<std::string> certificate_identities(const X509* cert) {
  std::vector<std::string> identities;
  const auto add = [&identities](std::string name) {
    if (!name.empty() && !identity_matches(identities, name)) {
      identities.push_back(std::move(name));
    }
  };
  add(last_common_name(X509_get_subject_name(cert)));
  for (std::string& name : san_dns_names(cert)) {
    add(std::move(name));
  }
  return identities;
}

bool identity_matches(const std::vector<std::string>& identities, std::string_view name) {
  return std::any_of(identities.begin(), identities.end(),
                     [name](const std::string& identity) { return same_dns_name(identity, name); });
}

}  // namespace gatelink::tls
