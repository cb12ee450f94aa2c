#include "tls/openssl_support.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <system_error>

namespace gatelink::tls::detail {

Error file_problem(std::string_view what, const std::string& path, std::string_view problem) {
  return Error{std::string(what) + " " + path + ": " + std::string(problem)};
}

Result<BioPtr> open_pem_file(std::string_view what, const std::string& path) {
  if (path.empty()) {
    return Error{std::string(what) + " is not configured"};
  }
  errno = 0;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    const int error = errno;
    ERR_clear_error();
    return file_problem(what, path,
                        "cannot open: " + (error != 0 ? std::generic_category().message(error)
                                                      : std::string("unknown error")));
  }
  return bio;
}

bool pem_read_reached_end() {
  const unsigned long last = ERR_peek_last_error();
  const bool end =
      last != 0 && ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  return end;
}

Status add_trust_anchors(X509_STORE* store, const std::string& path) {
  return for_each_pem<X509, X509_free>(
      "CA file", path, "certificate", PEM_read_bio_X509, [store](X509* cert) -> std::string {
        if (X509_check_ca(cert) == 0) {
          return "holds a certificate that is not a CA certificate";
        }
        return X509_STORE_add_cert(store, cert) == 1 ? "" : take_openssl_error();
      });
}

bool issued_by_trust_anchor(X509_STORE* store, X509_CRL* crl) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (ca != nullptr && X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
        X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1) {
      return true;
    }
  }
  return false;
}

std::string rfc2253(const X509_NAME* name) {
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return "";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : "";
}

std::string take_openssl_error() {
  const unsigned long last = ERR_peek_last_error();
  ERR_clear_error();
  if (last == 0) {
    return "unknown error";
  }
  const char* reason = ERR_reason_error_string(last);
  return reason != nullptr ? reason : "error " + std::to_string(last);
}

}  // namespace gatelink::tls::detail
