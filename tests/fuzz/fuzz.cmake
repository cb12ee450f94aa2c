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
