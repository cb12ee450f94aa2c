#include "signature/key_support.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <fstream>
#include <system_error>

namespace gatelink::signature {
namespace detail {
namespace {

/// A PEM key file is a few hundred bytes; anything larger is not one.
constexpr std::size_t kMaxKeyFile = 16 * 1024;

/// Never prompts for a passphrase: an encrypted key is refused instead.
int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

Result<KeyPtr> read_ed25519(std::string_view pem, std::string_view source, KeyKind kind) {
  const std::string what(kind == KeyKind::public_key
                             ? "an Ed25519 public key (SubjectPublicKeyInfo PEM)"
                             : "an Ed25519 private key (PKCS#8 PEM)");
  if (pem.size() > kMaxKeyFile) return Error{std::string(source) + ": too large for " + what};
  tls::detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error{std::string(source) + ": out of memory"};
  ERR_clear_error();
  KeyPtr key(kind == KeyKind::public_key
                 ? PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr)
                 : PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    return Error{std::string(source) + ": does not hold " + what +
                 (kind == KeyKind::private_key ? ", unencrypted" : "")};
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return Error{std::string(source) + ": holds a key of another algorithm; expected " + what};
  }
  // Nothing but white space may follow the block: one file, one key.
  std::string rest(static_cast<std::size_t>(BIO_pending(bio.get())), '\0');
  if (!rest.empty()) BIO_read(bio.get(), rest.data(), static_cast<int>(rest.size()));
  if (rest.find_first_not_of(" \t\r\n") != std::string::npos) {
    return Error{std::string(source) + ": holds more than one PEM block; expected " + what +
                 " alone"};
  }
  return key;
}

Result<std::string> read_key_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return Error{std::string(what) + " " + path +
                 ": cannot open: " + std::generic_category().message(error)};
  }
  std::string text(kMaxKeyFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Error{std::string(what) + " " + path + ": cannot read"};
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyFile) {
    return Error{std::string(what) + " " + path + ": larger than " + std::to_string(kMaxKeyFile) +
                 " bytes: not a key file"};
  }
  return text;
}

std::string write_pem(EVP_PKEY* key, KeyKind kind) {
  tls::detail::BioPtr bio(BIO_new(BIO_s_mem()));
  const int written =
      kind == KeyKind::public_key
          ? PEM_write_bio_PUBKEY(bio.get(), key)
          : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (written != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace detail

}  // namespace gatelink::signature
