#include "tls/client_stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace gatelink::tls {
namespace {

// `[::1]` as written in addresses is `::1` to OpenSSL.
std::string without_brackets(const std::string& name) {
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    return name.substr(1, name.size() - 2);
  }
  return name;
}

bool is_ip_literal(const std::string& name) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}

}  // namespace

Status prepare_client_stream(SSL* ssl, const std::string& expected_name) {
  if (ssl == nullptr || SSL_is_server(ssl) != 0) {
    return Error{"prepare_client_stream needs the SSL of a client stream"};
  }
  const std::string name = without_brackets(expected_name);
  if (name.empty()) {
    return Error{"no server name to expect in the gateway's certificate"};
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_literal(name)) {
    // RFC 6066 allows no IP literal in SNI; the address is matched against SAN iPAddress.
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      return Error{"cannot expect IP address " + name};
    }
    return Ok{};
  }
  // Only the SAN counts (never the subject's CN); a wildcard only as a whole leftmost label.
  X509_VERIFY_PARAM_set_hostflags(
      param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // SSL_ctrl() is what SSL_set_tlsext_host_name() expands to, without the macro's C cast.
  if (X509_VERIFY_PARAM_set1_host(param, name.data(), name.size()) != 1 ||
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(name.c_str())) != 1) {
    return Error{"'" + name + "' is not a valid server name"};
  }
  return Ok{};
}

}  // namespace gatelink::tls
