#pragma once
// Internal to the signature module: reading one PEM key from text or a file, strictly.

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "tls/openssl_support.hpp"

namespace gatelink::signature::detail {

using tls::detail::KeyPtr;
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, tls::detail::Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

/// Which PEM block a key file holds.
enum class KeyKind { public_key, private_key };

/// The one Ed25519 key of kind `kind` in `pem`; anything else (another algorithm, an encrypted
/// key, a second block, text after it) is refused with an error that starts with `source`.
Result<KeyPtr> read_ed25519(std::string_view pem, std::string_view source, KeyKind kind);

/// The contents of the file `path` (at most a few KiB: a key file), or why not.
Result<std::string> read_key_file(const std::string& path, std::string_view what);

/// `key` written as a PEM block of kind `kind`.
std::string write_pem(EVP_PKEY* key, KeyKind kind);

}  // namespace gatelink::signature::detail
