#pragma once
// How gatelink writes its XML files (the persisted topology, the first-install configuration):
// element by element through tinyxml2's XMLPrinter, never by string building. tinyxml2 escapes
// attribute values (& < > " ' as entities); the XML declaration comes first, each element on a
// line of its own, indented two spaces a level, and the document ends with a newline.

#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace gatelink::xml {

/// One XML document, printed in order: comments, then elements opened, given their attributes,
/// filled with children and closed.
class DocumentPrinter {
 public:
  /// Starts the document with `<?xml version="1.0" encoding="UTF-8"?>`.
  DocumentPrinter();
  ~DocumentPrinter();
  DocumentPrinter(const DocumentPrinter&) = delete;
  DocumentPrinter& operator=(const DocumentPrinter&) = delete;

  /// `<!--text-->`, written as it is: `text` holds no "--" (XML allows none in a comment).
  void comment(std::string_view text);
  /// Opens `<name>`; its attributes follow, then its children, then close().
  void open(std::string_view name);
  /// `name="value"` on the element just opened (before any child), the value escaped.
  void attribute(std::string_view name, std::string_view value);
  /// Text content of the element just opened, escaped (after its attributes).
  void content(std::string_view text);
  /// `<![CDATA[text]]>` as content of the element just opened: `text` holds no "]]>" and no NUL.
  void cdata(std::string_view text);
  /// Closes the innermost open element: `<name/>` when it has no children.
  void close();
  /// The document so far; whole once every element opened is closed.
  std::string text() const;

 private:
  class Printer;
  std::unique_ptr<Printer> printer_;
  /// Names of the open elements: XMLPrinter keeps only a pointer to each until it is closed.
  std::deque<std::string> open_;
};

}  // namespace gatelink::xml
