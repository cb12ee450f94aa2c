#pragma once
// The UTC time attributes of the store's documents (issued-at, received-at), read strictly.

#include <tinyxml2.h>

#include <chrono>

#include "common/result.hpp"
#include "status/status_time.hpp"
#include "xml/element_reader.hpp"

namespace gatelink {

/// The attribute `at` of `element` as a UTC time such as 2026-11-25T16:15:16.123Z, cut to the
/// millisecond as the store renders it: a file reads back to the value it came from.
inline Result<WallTime> read_utc_attribute(const xml::ElementReader& in,
                                           const tinyxml2::XMLElement& element,
                                           const tinyxml2::XMLAttribute& at) {
  const auto time = parse_utc_time(at.Value());
  if (!time) {
    return in.attribute_error(element, at,
                              Error{"is not a UTC time such as 2026-11-25T16:15:16.123Z"});
  }
  return WallTime(std::chrono::floor<std::chrono::milliseconds>(*time));
}

}  // namespace gatelink
