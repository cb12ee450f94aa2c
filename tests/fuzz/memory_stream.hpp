#pragma once
// An Asio stream over bytes in memory, for the fuzz targets that read as the product reads from
// its sockets (read_message before TLS, the status endpoint's request line): each read gives at
// most `chunk` bytes, so messages are cut at every place across reads, then the stream ends
// with `end` (end of file, or a reset). No sockets: completions are posted to the executor.

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace gatelink::fuzz {

class MemoryStream {
 public:
  using executor_type = boost::asio::any_io_executor;

  MemoryStream(executor_type executor, std::span<const std::uint8_t> bytes, std::size_t chunk,
               boost::system::error_code end = boost::asio::error::eof)
      : executor_(std::move(executor)),
        rest_(bytes),
        chunk_(std::max<std::size_t>(chunk, 1)),
        end_(end),
        size_(bytes.size()) {}

  executor_type get_executor() const { return executor_; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& into) {
          boost::system::error_code ec;
          std::size_t n = 0;
          if (boost::asio::buffer_size(into) == 0) {
            // Asio's rule: a read into no room completes at once with nothing.
          } else if (rest_.empty()) {
            ec = end_;
          } else {
            n = boost::asio::buffer_copy(
                into, boost::asio::buffer(rest_.data(), std::min(chunk_, rest_.size())));
            rest_ = rest_.subspan(n);
          }
          boost::asio::post(executor_, boost::asio::append(std::move(handler), ec, n));
        },
        token, buffers);
  }

  /// Bytes the reader has taken so far.
  std::size_t consumed() const { return size_ - rest_.size(); }

 private:
  executor_type executor_;
  std::span<const std::uint8_t> rest_;
  std::size_t chunk_;
  boost::system::error_code end_;
  std::size_t size_;
};

}  // namespace gatelink::fuzz
