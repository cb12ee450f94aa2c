#pragma once
// Cuts a received byte stream into messages, for transports that read whatever has arrived.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "codec/codec.hpp"
#include "codec/message.hpp"
#include "common/result.hpp"

namespace gatelink::codec {

/// Feed it what was read, then call next() until it has nothing more. After an error it stays
/// failed: a stream that lost its framing once cannot be trusted to find it again, so the
/// connection is to be dropped.
class FrameDecoder {
 public:
  /// `max_body`: largest body accepted; a larger one is refused as soon as its header is in.
  explicit FrameDecoder(std::size_t max_body = kDefaultMaxFrame) : max_body_(max_body) {}

  /// Appends received bytes. Ignored once failed, so a broken stream holds no memory.
  void feed(std::span<const std::uint8_t> bytes);

  /// The next message; an empty optional while its frame is incomplete; the error once failed.
  Result<std::optional<Message>, CodecError> next();

  /// Whether a frame was refused.
  bool failed() const { return error_.has_value(); }
  /// Bytes received and not yet returned as a message.
  std::size_t buffered() const { return buffer_.size() - begin_; }

 private:
  Result<std::optional<Message>, CodecError> fail(CodecError error);

  std::size_t max_body_;
  Bytes buffer_;
  std::size_t begin_ = 0;  ///< start of the undecoded bytes; the rest is dropped on the next feed
  std::optional<CodecError> error_;
};

}  // namespace gatelink::codec
