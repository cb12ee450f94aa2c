#pragma once
// Internal to the tls module: owning pointers for OpenSSL objects, PEM files opened with errors
// that name them, and the text of OpenSSL's last error.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink::tls::detail {

/// unique_ptr deleter calling OpenSSL's free function for T.
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

/// An error about a file: `what` ("CA file", ...), its path, and the problem.
Error file_problem(std::string_view what, const std::string& path, std::string_view problem);

/// Opens `path` for reading; `what` ("CA file", ...) and the path name it in errors.
Result<BioPtr> open_pem_file(std::string_view what, const std::string& path);

/// Whether OpenSSL's error queue holds nothing but PEM's "no start line", which is how reading
/// a PEM file ends; clears the queue either way.
bool pem_read_reached_end();

/// A PEM reader such as PEM_read_bio_X509.
template <class T>
using PemReader = T* (*)(BIO*, T**, pem_password_cb*, void*);

/// Reads every PEM object of one kind (`kind`: "certificate", "CRL") from `path` and hands
/// each to `use`, which returns what is wrong with it or an empty string. A file holding none
/// is refused; errors name `what` and `path`.
template <class T, void (*Free)(T*)>
Status for_each_pem(std::string_view what, const std::string& path, std::string_view kind,
                    PemReader<T> read, const std::function<std::string(T*)>& use) {
  auto bio = open_pem_file(what, path);
  if (!bio) {
    return bio.error();
  }
  int count = 0;
  while (std::unique_ptr<T, Deleter<T, Free>> object{read(bio->get(), nullptr, nullptr, nullptr)}) {
    if (const std::string problem = use(object.get()); !problem.empty()) {
      return file_problem(what, path, problem);
    }
    ++count;
  }
  if (!pem_read_reached_end()) {
    return file_problem(what, path, "is not valid PEM");
  }
  if (count == 0) {
    return file_problem(what, path, "holds no PEM " + std::string(kind));
  }
  return Ok{};
}

/// Adds the CA certificates of the PEM file `path` to `store` as trust anchors; a certificate
/// that is not a CA's is refused. Errors name the file.
Status add_trust_anchors(X509_STORE* store, const std::string& path);

/// Whether one of the CA certificates in `store` issued and signed `crl`.
bool issued_by_trust_anchor(X509_STORE* store, X509_CRL* crl);

/// A distinguished name as one line of RFC 2253 (`CN=a.example,O=Example`).
std::string rfc2253(const X509_NAME* name);

/// The text of OpenSSL's most recent error on this thread ("unknown error" if none); clears the
/// queue.
std::string take_openssl_error();

}  // namespace gatelink::tls::detail
