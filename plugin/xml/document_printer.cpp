#include "xml/document_printer.hpp"

#include <tinyxml2.h>

namespace gatelink::xml {

/// XMLPrinter with two spaces a level, as gatelink's sample files (XMLPrinter's own is four).
class DocumentPrinter::Printer : public tinyxml2::XMLPrinter {
 protected:
  void PrintSpace(int depth) override {
    for (int i = 0; i < depth; ++i) Write("  ");
  }
};

DocumentPrinter::DocumentPrinter() : printer_(std::make_unique<Printer>()) {
  printer_->PushDeclaration("xml version=\"1.0\" encoding=\"UTF-8\"");
}

DocumentPrinter::~DocumentPrinter() = default;

void DocumentPrinter::comment(std::string_view text) {
  printer_->PushComment(std::string(text).c_str());
}

void DocumentPrinter::open(std::string_view name) {
  // A deque keeps its strings where they are as it grows: the pointer stays good until close().
  printer_->OpenElement(open_.emplace_back(name).c_str());
}

void DocumentPrinter::attribute(std::string_view name, std::string_view value) {
  printer_->PushAttribute(std::string(name).c_str(), std::string(value).c_str());
}

void DocumentPrinter::content(std::string_view text) {
  printer_->PushText(std::string(text).c_str(), false);
}

void DocumentPrinter::cdata(std::string_view text) {
  printer_->PushText(std::string(text).c_str(), true);
}

void DocumentPrinter::close() {
  printer_->CloseElement();
  open_.pop_back();
}

std::string DocumentPrinter::text() const {
  return std::string(printer_->CStr(), static_cast<std::size_t>(printer_->CStrSize() - 1));
}

}  // namespace gatelink::xml
