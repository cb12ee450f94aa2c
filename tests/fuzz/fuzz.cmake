# libFuzzer targets; only with GATELINK_BUILD_FUZZ=ON and clang (-fsanitize=fuzzer).
# Run: build-fuzz/bin/codec_fuzz -max_len=4096 -max_total_time=60 corpus/

# The codec's sources are compiled into the fuzz target itself so they carry libFuzzer's
# coverage instrumentation; linking the plain gatelink_codec library would fuzz blind.
get_target_property(codec_sources gatelink_codec SOURCES)
get_target_property(codec_dir gatelink_codec SOURCE_DIR)
list(TRANSFORM codec_sources PREPEND ${codec_dir}/)

add_executable(codec_fuzz fuzz/codec_fuzz.cpp ${codec_sources})
gatelink_target_defaults(codec_fuzz)
target_link_libraries(codec_fuzz PRIVATE gatelink_common gatelink_topology Boost::headers)
target_compile_options(codec_fuzz PRIVATE -fsanitize=fuzzer,address)
target_link_options(codec_fuzz PRIVATE -fsanitize=fuzzer,address)

# The persisted topology document (topology.xml, the management group's store files), with the
# store, xml, topology and time-format sources compiled in for coverage: all of the xml module
# (the strict prologue, and the printer the round trip goes through); of the store and topology
# modules, the document and the address rules.
# Run: build-fuzz/bin/topology_xml_fuzz -max_len=8192 -max_total_time=60 corpus/
set(topology_xml_fuzz_sources)
foreach(lib gatelink_store gatelink_topology gatelink_xml)
  get_target_property(sources ${lib} SOURCES)
  get_target_property(dir ${lib} SOURCE_DIR)
  list(TRANSFORM sources PREPEND ${dir}/)
  if(NOT lib STREQUAL gatelink_xml)
    list(FILTER sources INCLUDE REGEX "/(topology_document|gateway_address|topology)\\.cpp$")
  endif()
  list(APPEND topology_xml_fuzz_sources ${sources})
endforeach()
get_target_property(status_dir gatelink_status SOURCE_DIR)
add_executable(topology_xml_fuzz fuzz/topology_xml_fuzz.cpp ${topology_xml_fuzz_sources}
                                 ${status_dir}/status_time.cpp)
gatelink_target_defaults(topology_xml_fuzz)
target_link_libraries(topology_xml_fuzz PRIVATE gatelink_common tinyxml2::tinyxml2)
target_compile_options(topology_xml_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_options(topology_xml_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
