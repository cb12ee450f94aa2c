#include "codec/frame_decoder.hpp"

#include <utility>

namespace gatelink::codec {

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (error_) return;
  // Dropping what was decoded here, once per read, keeps next() cheap for many small frames.
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(begin_));
  begin_ = 0;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Message>, CodecError> FrameDecoder::next() {
  if (error_) return *error_;
  const auto pending = std::span<const std::uint8_t>(buffer_).subspan(begin_);
  if (pending.size() < kHeaderSize) return std::optional<Message>{};
  const auto header = decode_header(pending, max_body_);
  if (!header) return fail(header.error());
  if (pending.size() - kHeaderSize < header->body_size) return std::optional<Message>{};
  auto message = decode_body(header->type, pending.subspan(kHeaderSize, header->body_size));
  if (!message) return fail(message.error());
  begin_ += kHeaderSize + header->body_size;
  return std::optional<Message>{std::move(message).value()};
}

Result<std::optional<Message>, CodecError> FrameDecoder::fail(CodecError error) {
  error_ = std::move(error);
  buffer_ = {};
  begin_ = 0;
  return *error_;
}

}  // namespace gatelink::codec
