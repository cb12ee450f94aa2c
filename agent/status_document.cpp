#include "status_document.hpp"

#include "common/escape.hpp"
#include "status/error_phrase.hpp"
#include "status/status_time.hpp"

namespace gatelink::status_document {
namespace {

std::string two_digits(std::int64_t value) {
  std::string digits = std::to_string(value);
  if (value < 10) digits.insert(digits.begin(), '0');
  return digits;
}

}  // namespace

const Json* member(const Json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto found = object->find(key);
  if (found == object->end() || found->is_null()) return nullptr;
  return &*found;
}

std::string text(const Json* value) {
  if (value == nullptr) return std::string(kMissing);
  if (value->is_string()) return printable(value->get_ref<const std::string&>());
  return printable(value->dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::optional<std::string> string_of(const Json* object, const char* key) {
  const Json* value = member(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return printable(value->get_ref<const std::string&>());
}

std::optional<std::string> raw_string_of(const Json* object, const char* key) {
  const Json* value = member(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::optional<std::string> last_error_phrase(const Json* object) {
  const std::optional<std::string> key = raw_string_of(object, "last_error");
  if (!key) return std::nullopt;
  return error_phrase(*key, raw_string_of(object, "last_error_detail").value_or(""));
}

std::optional<std::uint64_t> count_of(const Json* object, const char* key) {
  const Json* value = member(object, key);
  if (value == nullptr || !value->is_number_unsigned()) return std::nullopt;
  return value->get<std::uint64_t>();
}

std::string list_text(const Json* value) {
  if (value == nullptr || !value->is_array()) return text(value);
  if (value->empty()) return "none";
  std::string out;
  for (const Json& item : *value) {
    if (!out.empty()) out += ", ";
    out += text(&item);
  }
  return out;
}

std::optional<WallTime> time_of(const Json* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return parse_utc_time(value->get_ref<const std::string&>());
}

std::string date_and_time(WallTime time) {
  const std::string iso = format_utc_time(time);
  return iso.substr(0, 10) + " " + iso.substr(11, 8) + "Z";
}

std::string short_time(WallTime time, WallTime now) {
  const std::string full = date_and_time(time);
  return full.substr(0, 10) == date_and_time(now).substr(0, 10) ? full.substr(11) : full;
}

std::string moment(const Json* value, WallTime now) {
  using std::chrono::seconds;
  const std::optional<WallTime> time = time_of(value);
  if (!time) return text(value);
  if (*time <= now) {
    return date_and_time(*time) + " (" +
           format_span(std::chrono::duration_cast<seconds>(now - *time)) + ")";
  }
  return date_and_time(*time) + " (" + due_in(*time, now) + ")";
}

std::string due_in(WallTime time, WallTime now) {
  if (time <= now) return "now";
  return "in " + format_span(std::chrono::ceil<std::chrono::seconds>(time - now));
}

std::string format_span(std::chrono::seconds span) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  const std::int64_t total = span.count() < 0 ? -span.count() : span.count();
  const std::int64_t days = total / kDay;
  const std::int64_t hours = total % kDay / kHour;
  const std::int64_t minutes = total % kHour / kMinute;
  const std::int64_t seconds = total % kMinute;
  if (days > 0) return std::to_string(days) + "d" + two_digits(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h" + two_digits(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m" + two_digits(seconds) + "s";
  return std::to_string(seconds) + "s";
}

std::string gateway_label(const std::string& address) {
  const auto at = address.find('@');
  return at == std::string::npos || at == 0 ? address : address.substr(0, at);
}

}  // namespace gatelink::status_document
