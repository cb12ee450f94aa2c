#pragma once
// Field-level writing and reading, internal to the codec. Each message lists its fields once
// (codec.cpp) and that list is walked by a WireWriter (encode, validate) or a WireReader
// (decode), so the two directions share every bound and cannot drift apart.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.hpp"

namespace gatelink::codec::wire {

/// Big-endian store of an unsigned integer into sizeof(T) bytes at `out`.
template <std::unsigned_integral T>
void store_be(std::uint8_t* out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<std::uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
  }
}

/// Big-endian load of an unsigned integer from sizeof(T) bytes at `in`.
template <std::unsigned_integral T>
T load_be(const std::uint8_t* in) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<T>((value << 8) | in[i]);
  }
  return value;
}

/// "1 byte", "8 bytes": for error messages.
std::string byte_count(std::size_t n);

/// No bound of a bytes field's own: the frame's limit bounds it.
inline constexpr std::size_t kUnbounded = std::numeric_limits<std::uint32_t>::max();

/// Bounds of a string field.
struct TextRule {
  std::size_t max_length;
  bool non_empty = false;
  /// A reason key: only `a-z 0-9 - _ . :`, starting with a letter or digit, so that it can
  /// stand in a log line or a status field as it is.
  bool key = false;
};

/// What writer and reader share: where in the message we are, and the first error. After an
/// error every further field is skipped, so walks need no early returns.
class FieldWalker {
 public:
  explicit FieldWalker(MessageType type) : type_(type) {}

  bool failed() const { return error_.has_value(); }
  /// The first error, if any.
  std::optional<CodecError> take_error() { return std::move(error_); }

  /// Refuses `field` for a rule beyond its wire type (port 0, enum out of range).
  void reject(std::string_view field, const std::string& what) {
    fail(CodecErrc::bad_field, field, what);
  }

  /// Runs `walk` with its fields named `group.field`, or `group[index].field` for list items.
  template <class F>
  void nested(std::string_view group, std::optional<std::size_t> index, F&& walk) {
    group_ = group;
    index_ = index;
    walk();
    group_ = {};
    index_.reset();
  }

 protected:
  void fail(CodecErrc code, std::string_view field, const std::string& what);
  void check_length(std::string_view field, std::size_t length, std::size_t max);
  void check_text(std::string_view field, std::string_view value, TextRule rule);
  void check_count(std::string_view field, std::size_t count, std::size_t max);

 private:
  MessageType type_;
  std::string_view group_;
  std::optional<std::size_t> index_;
  std::optional<CodecError> error_;
};

/// Appends fields to a byte buffer, checking every bound the reader will check.
class WireWriter : public FieldWalker {
 public:
  /// With `out` null it only checks: that is validate().
  WireWriter(MessageType type, Bytes* out) : FieldWalker(type), out_(out) {}

  template <std::unsigned_integral T>
  void integer(std::string_view /*field*/, const T& value) {
    std::array<std::uint8_t, sizeof(T)> be{};
    store_be(be.data(), value);
    put(be);
  }
  void text(std::string_view field, const std::string& value, TextRule rule);
  /// u32 length + the bytes; longer than `max` is refused.
  void bytes(std::string_view field, std::span<const std::uint8_t> value,
             std::size_t max = kUnbounded);
  void bytes(std::string_view field, std::string_view value, std::size_t max = kUnbounded);
  /// Writes the item count of a list; the items follow through the caller's walk.
  template <class T>
  void count(std::string_view field, const std::vector<T>& items, std::size_t max) {
    check_count(field, items.size(), max);
    integer(field, static_cast<std::uint16_t>(items.size()));
  }

 private:
  void put(std::span<const std::uint8_t> data);

  Bytes* out_;
};

/// Takes fields from the front of a body, refusing anything out of bounds.
class WireReader : public FieldWalker {
 public:
  WireReader(MessageType type, std::span<const std::uint8_t> body)
      : FieldWalker(type), rest_(body) {}

  template <std::unsigned_integral T>
  void integer(std::string_view field, T& value) {
    if (auto in = take(field, sizeof(T)); !failed()) value = load_be<T>(in.data());
  }
  void text(std::string_view field, std::string& value, TextRule rule);
  /// u32 length + the bytes; a length over `max` is refused before anything is taken (the
  /// frame's own bound holds either way).
  void bytes(std::string_view field, Bytes& value, std::size_t max = kUnbounded);
  void bytes(std::string_view field, std::string& value, std::size_t max = kUnbounded);
  /// Reads and bounds the item count of a list and sizes `items` to it.
  template <class T>
  void count(std::string_view field, std::vector<T>& items, std::size_t max) {
    std::uint16_t n = 0;
    integer(field, n);
    check_count(field, n, max);
    if (!failed()) items.resize(n);
  }
  /// Refuses bytes left after the last field.
  void finish();

 private:
  /// The next `n` bytes; empty and truncated when fewer are left.
  std::span<const std::uint8_t> take(std::string_view field, std::size_t n);

  std::span<const std::uint8_t> rest_;
};

}  // namespace gatelink::codec::wire
