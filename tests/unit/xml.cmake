# xml_document_tests: what gatelink's XML files share (plugin/xml): the strict prologue every
# parsed file passes, and the printer every written file comes from. Pure: strings in and out.

gatelink_test(xml_document_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/xml_document_printer_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/xml_strict_document_test.cpp
  LIBS gatelink_xml tinyxml2::tinyxml2
  LABELS unit)
