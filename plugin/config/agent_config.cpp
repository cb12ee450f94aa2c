// Parsing of the agent configuration: the strict prologue (xml/parsed_document.hpp) reads the
// XML, and one walk over the document checks it against the schema table (config_schema.hpp),
// fills in defaults and stores values.

#include "config/agent_config.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "config/config_schema.hpp"
#include "xml/parsed_document.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

using xml::echo;
using xml::is_blank;
using xml::located;
using xml::tag;
using xml::trimmed;

const SchemaRow* find_row(std::string_view element, std::string_view attribute) {
  const auto schema = agent_config_schema();
  const auto row = std::find_if(schema.begin(), schema.end(), [&](const SchemaRow& r) {
    return r.element == element && r.attribute == attribute;
  });
  return row == schema.end() ? nullptr : &*row;
}

/// Whether `row` describes an element directly inside the element at path `parent`.
bool is_child_element(const SchemaRow& row, std::string_view parent) {
  const auto& path = row.element;
  return row.is_element() && path.size() > parent.size() + 1 &&
         path.substr(0, parent.size()) == parent && path[parent.size()] == '/' &&
         path.find('/', parent.size() + 1) == std::string_view::npos;
}

/// Names of the rows under `element` for "expected: ..." hints: its attributes or children.
std::string expected_names(std::string_view element, bool children) {
  std::string names;
  for (const auto& row : agent_config_schema()) {
    const bool attribute = !row.is_element() && row.element == element;
    if (children ? is_child_element(row, element) : attribute) {
      names +=
          (names.empty() ? "" : ", ") + std::string(children ? row.element_name() : row.attribute);
    }
  }
  return names.empty() ? "none" : names;
}

/// One walk over the document: checks each element and attribute against its schema row,
/// fills in defaults, stores values and runs element hooks. Errors come back as "FILE:LINE:".
class SchemaWalker {
 public:
  SchemaWalker(std::string_view source, std::filesystem::path base, AgentConfig& config)
      : source_(source), base_(std::move(base)), config_(config) {}

  std::optional<Error> element(const tinyxml2::XMLElement& xml, const SchemaRow& row) {
    ElementValues values;
    for (auto* attribute = xml.FirstAttribute(); attribute; attribute = attribute->Next()) {
      const auto* attribute_row = find_row(row.element, attribute->Name());
      if (!attribute_row) {
        return fail(attribute->GetLineNum(),
                    tag(xml.Name()) + ": unknown attribute \"" + echo(attribute->Name()) +
                        "\" (expected: " + expected_names(row.element, false) + ")");
      }
      auto value = checked(*attribute_row, attribute->Value(), attribute->GetLineNum());
      if (!value) {
        const bool quotes_itself = attribute_row->type == ValueType::kAddress ||
                                   attribute_row->type == ValueType::kServerName;
        return fail(attribute->GetLineNum(),
                    tag(xml.Name()) + " " + attribute->Name() +
                        (quotes_itself ? "" : "=\"" + echo(attribute->Value()) + "\"") + ": " +
                        value.error().message);
      }
      values.add(std::move(*value));
    }
    for (const auto& attribute_row : agent_config_schema()) {
      if (attribute_row.is_element() || attribute_row.element != row.element ||
          values.find(attribute_row.attribute)) {
        continue;
      }
      if (attribute_row.required) {
        return fail(xml.GetLineNum(), tag(xml.Name()) + ": missing required attribute \"" +
                                          std::string(attribute_row.attribute) + "\"");
      }
      add_default(attribute_row, xml.GetLineNum(), values);
    }
    if (auto error = store(row, values, xml.GetLineNum())) return error;
    return children(xml, row);
  }

 private:
  Error fail(int line, const std::string& what) const { return located(source_, line, what); }

  /// Checks one attribute's text; relative paths resolve against the base folder.
  Result<AttributeValue> checked(const SchemaRow& row, std::string_view text, int line) const {
    auto number = check_value(row, text);
    if (!number) return number.error();
    AttributeValue value{row.attribute, std::string(text), *number, line};
    if (!base_.empty() && resolves_against_config_folder(row, value.text)) {
      // make_preferred: one separator on Windows (C:\etc\certs\ca.pem, not C:\etc\certs/ca.pem).
      value.text = (base_ / value.text).lexically_normal().make_preferred().string();
    }
    return value;
  }

  void add_default(const SchemaRow& row, int line, ElementValues& values) const {
    if (row.default_value.empty()) return;
    // Defaults pass their own row's check (a test holds every row to it).
    auto value = checked(row, row.default_value, line);
    if (value) values.add(std::move(*value));
  }

  /// Stores the values in their fields, then runs the element's hook.
  std::optional<Error> store(const SchemaRow& row, const ElementValues& values, int line) {
    for (const auto& value : values.all()) {
      const auto* attribute_row = find_row(row.element, value.name);
      std::visit(
          [&](auto field) {
            using Field = decltype(field);
            if constexpr (std::is_same_v<Field, TextField>) {
              field(config_) = value.text;
            } else if constexpr (std::is_same_v<Field, DurationField>) {
              field(config_) = std::chrono::milliseconds(value.number);
            } else if constexpr (std::is_same_v<Field, CountField>) {
              field(config_) = static_cast<unsigned>(value.number);
            }
          },
          attribute_row->field);
    }
    if (!row.hook) return std::nullopt;
    auto problem = row.hook(config_, values);
    if (!problem) return std::nullopt;
    const auto* blamed = problem->attribute.empty() ? nullptr : values.find(problem->attribute);
    const auto name = tag(row.element_name());
    return fail(blamed && blamed->line > 0 ? blamed->line : line,
                blamed ? name + " " + std::string(problem->attribute) + ": " + problem->message
                       : name + ": " + problem->message);
  }

  std::optional<Error> children(const tinyxml2::XMLElement& xml, const SchemaRow& row) {
    std::map<std::string, std::pair<int, std::uint64_t>, std::less<>> seen;  // first line, count
    for (auto* node = xml.FirstChild(); node; node = node->NextSibling()) {
      if (node->ToComment()) continue;
      if (const auto* text = node->ToText()) {
        if (is_blank(text->Value())) continue;
        return fail(node->GetLineNum(),
                    tag(xml.Name()) + ": unexpected text \"" + echo(trimmed(text->Value())) + "\"");
      }
      const auto* child = node->ToElement();
      if (!child) return fail(node->GetLineNum(), tag(xml.Name()) + ": unexpected markup");
      const auto path = std::string(row.element) + "/" + child->Name();
      const auto* child_row = find_row(path, {});
      if (!child_row) {
        return fail(child->GetLineNum(),
                    "unknown element " + tag(echo(child->Name())) + " in " + tag(xml.Name()) +
                        " (expected: " + expected_names(row.element, true) + ")");
      }
      auto& [first_line, count] = seen.try_emplace(path, child->GetLineNum(), 0).first->second;
      if (++count > child_row->max) {
        return fail(child->GetLineNum(),
                    child_row->max == 1 ? "duplicate " + tag(child->Name()) + " (first at line " +
                                              std::to_string(first_line) + "); only one is allowed"
                                        : "too many " + tag(child->Name()) + " elements (at most " +
                                              std::to_string(child_row->max) + ")");
      }
      if (auto error = element(*child, *child_row)) return error;
    }
    for (const auto& child_row : agent_config_schema()) {
      if (!is_child_element(child_row, row.element) || seen.count(child_row.element)) continue;
      if (child_row.required) {
        return fail(xml.GetLineNum(), tag(xml.Name()) + ": missing required element " +
                                          tag(child_row.element_name()));
      }
      if (auto error = absent(child_row)) return error;
    }
    return std::nullopt;
  }

  /// An optional element that is not there: its attributes take their defaults.
  std::optional<Error> absent(const SchemaRow& row) {
    if (row.max != 1) return std::nullopt;  // repeated elements have nothing to default
    ElementValues values;
    for (const auto& attribute_row : agent_config_schema()) {
      if (!attribute_row.is_element() && attribute_row.element == row.element) {
        add_default(attribute_row, 0, values);
      }
    }
    return store(row, values, 0);
  }

  std::string source_;
  std::filesystem::path base_;
  AgentConfig& config_;
};

Result<AgentConfig> parse(std::string_view text, std::string_view source,
                          const std::filesystem::path& base) {
  auto doc = xml::parse_strict_document(text, source, {"agent", kMaxConfigBytes});
  if (!doc) return doc.error();
  AgentConfig config;
  config.source = std::string(source);
  SchemaWalker walker(source, base, config);
  if (auto error = walker.element(doc->root(), *find_row("agent", {}))) return *error;
  return config;
}

}  // namespace

Result<AgentConfig> parse_agent_config(std::string_view xml_text, std::string_view source_name) {
  return parse(xml_text, source_name, {});
}

Result<AgentConfig> load_agent_config(const std::string& path) {
  const auto failure = [&](const char* what) {
    const std::error_code error(errno, std::generic_category());
    return Error{path + ": " + what + ": " + error.message()};
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return failure("cannot open");
  // One byte more than allowed tells a file at the limit from a larger one.
  std::string text(kMaxConfigBytes + 1, '\0');
  const auto size = std::fread(text.data(), 1, text.size(), file.get());
  if (std::ferror(file.get())) return failure("cannot read");
  text.resize(size);
  std::error_code ec;
  auto folder = std::filesystem::absolute(path, ec).parent_path();
  if (ec) folder = std::filesystem::path(path).parent_path();
  return parse(text, path, folder);
}

std::string config_reference_markdown() { return render_schema_markdown(agent_config_schema()); }

}  // namespace gatelink
