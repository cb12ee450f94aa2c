// Feeds arbitrary bytes to the frame decoder, in reads of varying size. Besides not crashing,
// checks the codec's canonical-encoding property: every decoded message re-encodes to the bytes
// it came from.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatelink::codec;
  if (size == 0) return 0;
  // The first byte picks the read size, so frames get cut at many places across reads.
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const auto input = std::span<const std::uint8_t>(data + 1, size - 1);
  // A small limit keeps the fuzzer on parsing rather than on allocating.
  FrameDecoder decoder(1 << 16);
  std::size_t consumed = 0;  // offset in `input` of the next undecoded frame
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    decoder.feed(input.subspan(at, std::min(chunk, input.size() - at)));
    for (;;) {
      auto next = decoder.next();
      if (!next.ok()) return 0;
      if (!next->has_value()) break;
      const auto frame = encode(**next);
      const auto original = input.subspan(consumed, frame.size());
      if (!std::equal(frame.begin(), frame.end(), original.begin(), original.end())) std::abort();
      consumed += frame.size();
    }
  }
  return 0;
}
