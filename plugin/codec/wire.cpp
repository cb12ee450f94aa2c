#include "codec/wire.hpp"

#include <algorithm>
#include <boost/locale/utf.hpp>
#include <cctype>
#include <limits>

namespace gatelink::codec::wire {
namespace {

/// Offset of the first byte that does not start a valid UTF-8 sequence (overlong forms and
/// surrogates included); none when `text` is valid. Strings end up in logs and in the status
/// JSON, whose writer refuses invalid UTF-8, so they are stopped at the door.
std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
  using Utf8 = boost::locale::utf::utf_traits<char>;
  for (auto it = text.begin(); it != text.end();) {
    const auto start = it;
    const auto cp = Utf8::decode(it, text.end());
    if (cp == boost::locale::utf::illegal || cp == boost::locale::utf::incomplete) {
      return static_cast<std::size_t>(start - text.begin());
    }
  }
  return std::nullopt;
}

}  // namespace

std::string byte_count(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

void FieldWalker::fail(CodecErrc code, std::string_view field, const std::string& what) {
  if (error_) return;  // the first error is the one that explains the rest
  std::string where{to_string(type_)};
  if (!group_.empty()) {
    where.append(".").append(group_);
    if (index_) where.append("[").append(std::to_string(*index_)).append("]");
  }
  if (!field.empty()) where.append(".").append(field);
  error_ = CodecError{code, where + ": " + what};
}

void FieldWalker::check_length(std::string_view field, std::size_t length, std::size_t max) {
  if (length > max) {
    reject(field, "length " + std::to_string(length) + " exceeds " + std::to_string(max));
  }
}

void FieldWalker::check_text(std::string_view field, std::string_view value, TextRule rule) {
  check_length(field, value.size(), rule.max_length);
  if (rule.non_empty && value.empty()) reject(field, "must not be empty");
  if (const auto nul = value.find('\0'); nul != std::string_view::npos) {
    reject(field, "NUL byte at offset " + std::to_string(nul));
  }
  if (const auto bad = invalid_utf8_at(value)) {
    reject(field, "invalid UTF-8 at offset " + std::to_string(*bad));
  }
  if (rule.key) {
    const auto allowed = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.' || c == ':';
    };
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!allowed(value[i]) || (i == 0 && !std::isalnum(static_cast<unsigned char>(value[i])))) {
        reject(field, "character at offset " + std::to_string(i) +
                          " is not allowed in a reason key (a-z 0-9 - _ . :)");
        break;
      }
    }
  }
}

void FieldWalker::check_count(std::string_view field, std::size_t count, std::size_t max) {
  if (count > max) {
    reject(field, "count " + std::to_string(count) + " exceeds " + std::to_string(max));
  }
}

void WireWriter::text(std::string_view field, const std::string& value, TextRule rule) {
  check_text(field, value, rule);
  integer(field, static_cast<std::uint16_t>(value.size()));
  put({reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
}

void WireWriter::bytes(std::string_view field, std::span<const std::uint8_t> value,
                       std::size_t max) {
  check_length(field, value.size(), std::min(max, kUnbounded));
  integer(field, static_cast<std::uint32_t>(value.size()));
  put(value);
}

void WireWriter::bytes(std::string_view field, std::string_view value, std::size_t max) {
  bytes(field, {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()}, max);
}

void WireWriter::put(std::span<const std::uint8_t> data) {
  if (out_ && !failed()) out_->insert(out_->end(), data.begin(), data.end());
}

void WireReader::text(std::string_view field, std::string& value, TextRule rule) {
  std::uint16_t length = 0;
  integer(field, length);
  // Before taking the bytes, so an overlong string is named as such rather than as truncated.
  check_length(field, length, rule.max_length);
  const auto in = take(field, length);
  if (failed()) return;
  value.assign(reinterpret_cast<const char*>(in.data()), in.size());
  check_text(field, value, rule);
}

void WireReader::bytes(std::string_view field, Bytes& value, std::size_t max) {
  std::uint32_t length = 0;
  integer(field, length);
  check_length(field, length, max);
  const auto in = take(field, length);
  if (!failed()) value.assign(in.begin(), in.end());
}

void WireReader::bytes(std::string_view field, std::string& value, std::size_t max) {
  std::uint32_t length = 0;
  integer(field, length);
  check_length(field, length, max);
  const auto in = take(field, length);
  if (!failed()) value.assign(reinterpret_cast<const char*>(in.data()), in.size());
}

void WireReader::finish() {
  if (!rest_.empty()) {
    fail(CodecErrc::trailing_bytes, {}, byte_count(rest_.size()) + " after the last field");
  }
}

std::span<const std::uint8_t> WireReader::take(std::string_view field, std::size_t n) {
  if (failed()) return {};
  if (rest_.size() < n) {
    fail(CodecErrc::truncated, field,
         "truncated: needs " + byte_count(n) + ", " + std::to_string(rest_.size()) + " left");
    return {};
  }
  const auto in = rest_.first(n);
  rest_ = rest_.subspan(n);
  return in;
}

}  // namespace gatelink::codec::wire
