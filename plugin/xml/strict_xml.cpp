#include "xml/strict_xml.hpp"

#include <algorithm>
#include <string>

namespace gatelink::xml {

namespace {
constexpr std::size_t kMaxEchoed = 60;  // longer values are cut in messages
constexpr std::string_view kXmlSpace = " \t\r\n";
}  // namespace

Error located(std::string_view source, int line, const std::string& what) {
  return Error{std::string(source) + ":" + std::to_string(std::max(line, 1)) + ": " + what};
}

Error too_large(std::string_view source, std::size_t max_bytes) {
  std::string message(source);
  message.append(": larger than ").append(std::to_string(max_bytes)).append(" bytes");
  if (max_bytes % 1024 == 0)
    message.append(" (").append(std::to_string(max_bytes / 1024)).append(" KiB)");
  return Error{message.append("; refusing to parse it")};
}

std::string echo(std::string_view text) {
  std::string out(text.substr(0, kMaxEchoed));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return text.size() > kMaxEchoed ? out + "..." : out;
}

// Appended, not `"<" + std::string(name)`: GCC 12 at -O3 warns falsely on that form (-Wrestrict,
// https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105329).
std::string tag(std::string_view name) { return std::string("<").append(name).append(">"); }

bool is_blank(std::string_view text) { return text.find_first_not_of(kXmlSpace) == text.npos; }

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(kXmlSpace);
  return first == text.npos ? "" : text.substr(first, text.find_last_not_of(kXmlSpace) - first + 1);
}

}  // namespace gatelink::xml
