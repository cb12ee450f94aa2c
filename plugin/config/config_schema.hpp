#pragma once
// The agent configuration's schema, declared once as a table of rows (one per element and per
// attribute, like fluent-bit's config_map): it drives validation, defaults and the reference
// documentation, and tests keep config/agent.xsd in step with it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace gatelink {

struct AgentConfig;

/// What an attribute holds; kElement marks a row that describes an element.
enum class ValueType {
  kElement,     ///< the element itself: min/max count its occurrences
  kName,        ///< printable ASCII without spaces; min/max bound the length
  kAddress,     ///< `host[:port]` (see parse_gateway_address); min/max bound the length
  kServerName,  ///< DNS name the gateway certificate carries; min/max bound the length
  kPath,        ///< file or folder; relative ones resolve against the config file's folder
  kEndpoint,    ///< the status endpoint: a kPath, or a named pipe `\\.\pipe\NAME` kept as written
  kDuration,    ///< whole milliseconds, decimal; min/max bound the value
  kCount,       ///< decimal count; min/max bound the value
};

/// One checked attribute as element hooks see it: its text (defaults filled in) and number.
struct AttributeValue {
  std::string_view name;
  std::string text;
  std::uint64_t number = 0;  ///< the value of kDuration and kCount attributes
  int line = 0;              ///< where it stands; for a default, the element's line (0: absent)
};

/// The attributes of one element after checking and defaults.
class ElementValues {
 public:
  void add(AttributeValue value) { values_.push_back(std::move(value)); }
  /// The value of `attribute`; nullptr when it is absent and has no default.
  const AttributeValue* find(std::string_view attribute) const;
  /// The text of `attribute`, or empty when it is absent and has no default.
  std::string_view text(std::string_view attribute) const;
  const std::vector<AttributeValue>& all() const { return values_; }

 private:
  std::vector<AttributeValue> values_;
};

/// What an element hook found wrong, and with which attribute (empty: the element).
struct SchemaProblem {
  std::string_view attribute{};
  std::string message;
};

/// Where an attribute's value is stored; std::monostate: only the element hook reads it.
using TextField = std::string& (*)(AgentConfig&);
using DurationField = std::chrono::milliseconds& (*)(AgentConfig&);
using CountField = unsigned& (*)(AgentConfig&);
using FieldRef = std::variant<std::monostate, TextField, DurationField, CountField>;

/// Runs once per element, after its attributes are stored and before its children: builds
/// what single fields cannot hold (gateway addresses) and checks rules across attributes.
using ElementHook = std::optional<SchemaProblem> (*)(AgentConfig&, const ElementValues&);

/// One row of the schema table.
struct SchemaRow {
  std::string_view element{};    ///< path from the root, e.g. "agent/heartbeat"
  std::string_view attribute{};  ///< empty: the row describes the element itself
  ValueType type = ValueType::kElement;
  bool required = false;             ///< elements: at least once; attributes: must be given
  std::string_view default_value{};  ///< applied when the attribute is absent; empty: none
  std::uint64_t min = 0;             ///< see ValueType
  std::uint64_t max = 0;             ///< see ValueType
  std::string_view help{};           ///< one sentence for the reference documentation
  FieldRef field{};                  ///< attributes: where the value goes
  ElementHook hook = nullptr;        ///< elements: optional hook, see ElementHook

  bool is_element() const { return type == ValueType::kElement; }
  /// The element's own name, the last part of its path.
  std::string_view element_name() const;
};

/// The agent configuration schema, in document order.
std::span<const SchemaRow> agent_config_schema();

/// Checks `text` against an attribute row's type and bounds; the number for numeric types
/// (0 for text). The message says what is wrong without naming file, line or attribute.
Result<std::uint64_t> check_value(const SchemaRow& row, std::string_view text);

/// Whether `text`, a checked value of `row`, is a relative path that resolves against the
/// configuration file's folder (kPath, and kEndpoint unless it names a pipe).
bool resolves_against_config_folder(const SchemaRow& row, std::string_view text);

/// How a named pipe's name begins (lower case; Windows compares it ignoring case).
inline constexpr std::string_view kWindowsPipePrefix = R"(\\.\pipe\)";
/// Whether `text` begins with kWindowsPipePrefix, in any case.
bool has_windows_pipe_prefix(std::string_view text);
/// `\\.\pipe\NAME`, the status endpoint on Windows, with a NAME: no path (a path library would
/// read it as a folder `.` below the root of the current drive).
bool is_windows_pipe_name(std::string_view text);

/// Renders `schema` as a Markdown reference, one section per element.
std::string render_schema_markdown(std::span<const SchemaRow> schema);

}  // namespace gatelink
