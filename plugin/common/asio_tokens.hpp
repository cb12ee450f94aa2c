#pragma once
// Completion tokens shared by gatelink's Asio translation units. Only they include this header:
// it pulls in Asio, which the pure modules never see.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gatelink {

/// `co_await op(..., kUseTuple)`: the error code comes back in the result instead of as an
/// exception, since expected I/O outcomes are handled where they happen (STYLE, "Async
/// networking").
inline constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace gatelink
