#include "tls/openssl_support.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

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
