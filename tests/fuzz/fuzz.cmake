# Fuzz targets (tests/fuzz/README.md): each is one LLVMFuzzerTestOneInput in
# tests/fuzz/<name>_fuzz.cpp, built two ways.
# - In every build: fuzz_replay_<name>, the target linked with the module libraries and a driver
#   of its own (replay_main.cpp) that runs every seed, then a fixed number of deterministic
#   mutations; registered as the ctest test of the same name (label fuzz), so that the suite,
#   the sanitizer suite included, runs every target. No libFuzzer needed (GCC has none).
# - With GATELINK_BUILD_FUZZ=ON (clang): <name>_fuzz, the libFuzzer program. The modules'
#   sources are compiled into it so that they carry libFuzzer's coverage instrumentation;
#   linking the plain libraries would fuzz blind. tests/fuzz/run_all.sh builds and runs them.
# The seeds are written by make_seeds at build time into ${GATELINK_FUZZ_SEEDS}/<name>/; none
# are committed.

if(GATELINK_BUILD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "GATELINK_BUILD_FUZZ needs clang (libFuzzer): CC=clang CXX=clang++")
endif()

set(GATELINK_FUZZ_SEEDS ${CMAKE_BINARY_DIR}/fuzz/seeds)
# The targets and their -max_len, one line each, for run_all.sh.
set(GATELINK_FUZZ_LIST ${CMAKE_BINARY_DIR}/fuzz/targets.txt)
file(WRITE ${GATELINK_FUZZ_LIST} "")

add_executable(make_seeds fuzz/make_seeds.cpp unit/codec_samples.cpp)
gatelink_target_defaults(make_seeds)
gatelink_test_build_defaults(make_seeds)
target_include_directories(make_seeds PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(make_seeds PRIVATE gatelink_codec gatelink_config gatelink_store
                                         gatelink_bootstrap_config)
add_custom_command(
  OUTPUT ${GATELINK_FUZZ_SEEDS}/stamp
  COMMAND make_seeds ${GATELINK_FUZZ_SEEDS} ${CMAKE_SOURCE_DIR}
  COMMAND ${CMAKE_COMMAND} -E touch ${GATELINK_FUZZ_SEEDS}/stamp
  DEPENDS make_seeds ${CMAKE_SOURCE_DIR}/config/agent.xml
  COMMENT "Writing the fuzz targets' seeds")
add_custom_target(fuzz_seeds ALL DEPENDS ${GATELINK_FUZZ_SEEDS}/stamp)

# The replay driver, compiled once for every target.
add_library(gatelink_fuzz_replay OBJECT fuzz/replay_main.cpp)
gatelink_target_defaults(gatelink_fuzz_replay)
gatelink_test_build_defaults(gatelink_fuzz_replay)

# gatelink_fuzz_target(<name> LIBS <module libs...> COMPILE_IN <lib[=regex]...>
#                      [EXTRA <sources...>] FUZZ_LIBS <libs...> MAX_LEN <bytes> RUNS <count>)
# LIBS: what fuzz_replay_<name> links. COMPILE_IN: the module libraries whose sources <name>_fuzz
# compiles in (only those matching the regex, when one is given), EXTRA further sources, and
# FUZZ_LIBS what it links instead (headers and third-party libraries). MAX_LEN bounds an input
# in both; RUNS is the replay test's number of mutations: about a second each in the ASan+UBSan
# build, a fifth of that in the Release one.
function(gatelink_fuzz_target name)
  cmake_parse_arguments(F "" "MAX_LEN;RUNS" "LIBS;COMPILE_IN;EXTRA;FUZZ_LIBS" ${ARGN})
  set(source ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${name}_fuzz.cpp)

  add_executable(fuzz_replay_${name} ${source})
  gatelink_target_defaults(fuzz_replay_${name})
  gatelink_test_build_defaults(fuzz_replay_${name})
  target_include_directories(fuzz_replay_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
  target_link_libraries(fuzz_replay_${name} PRIVATE gatelink_fuzz_replay ${F_LIBS})
  add_dependencies(fuzz_replay_${name} fuzz_seeds)
  add_test(NAME fuzz_replay_${name}
           COMMAND fuzz_replay_${name} --runs ${F_RUNS} --max-len ${F_MAX_LEN}
                   --crash-dir ${CMAKE_CURRENT_BINARY_DIR} ${GATELINK_FUZZ_SEEDS}/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS fuzz TIMEOUT 60)
  file(APPEND ${GATELINK_FUZZ_LIST} "${name} ${F_MAX_LEN}\n")

  if(NOT GATELINK_BUILD_FUZZ)
    return()
  endif()
  set(compiled ${F_EXTRA})
  foreach(entry ${F_COMPILE_IN})
    string(REPLACE "=" ";" parts "${entry}")
    list(GET parts 0 lib)
    get_target_property(sources ${lib} SOURCES)
    get_target_property(dir ${lib} SOURCE_DIR)
    list(TRANSFORM sources PREPEND ${dir}/)
    list(LENGTH parts has_filter)
    if(has_filter GREATER 1)
      list(GET parts 1 filter)
      list(FILTER sources INCLUDE REGEX "${filter}")
    endif()
    list(APPEND compiled ${sources})
  endforeach()
  add_executable(${name}_fuzz ${source} ${compiled})
  gatelink_target_defaults(${name}_fuzz)
  # One file at a time: the modules' files were never meant to share one translation unit.
  set_target_properties(${name}_fuzz PROPERTIES UNITY_BUILD OFF)
  target_include_directories(${name}_fuzz PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
  target_link_libraries(${name}_fuzz PRIVATE ${F_FUZZ_LIBS})
  add_dependencies(${name}_fuzz fuzz_seeds)
  # Assertions on (-UNDEBUG): an assert in the product is one more check for the fuzzer. UBSan
  # without -fsanitize=function, which clang 14 cannot compile for coroutines ("Cannot represent
  # a difference across sections", https://github.com/llvm/llvm-project/issues/49689).
  set(sanitizers -fsanitize=fuzzer,address,undefined -fno-sanitize=function)
  target_compile_options(${name}_fuzz PRIVATE -UNDEBUG ${sanitizers}
                                              -fno-sanitize-recover=undefined)
  target_link_options(${name}_fuzz PRIVATE ${sanitizers})
endfunction()

# The frame decoder and every message (docs/PROTOCOL.md).
gatelink_fuzz_target(codec
  LIBS gatelink_codec
  COMPILE_IN gatelink_codec
  FUZZ_LIBS gatelink_common gatelink_topology Boost::headers
  MAX_LEN 16384 RUNS 30000)

# The management group's keys (signature module) and the time format (status module), which
# the topology targets compile in: signing_key.cpp needs the private-key permission check.
get_target_property(_fuzz_status_dir gatelink_status SOURCE_DIR)
get_target_property(_fuzz_tls_dir gatelink_tls SOURCE_DIR)
set(_fuzz_topology_extra ${_fuzz_status_dir}/status_time.cpp
                         ${_fuzz_tls_dir}/key_permissions_posix.cpp)

# A pushed topology: decoded, checked as the endpoint checks it (check_issued, the test key's
# signature) and handed to the failover machine. The topology's rules, the issued document, its
# stored form and the signatures are compiled in with the machine. MAX_LEN: the scenario byte and
# the longest push (a 16 KiB document and its signature).
gatelink_fuzz_target(topology_push
  LIBS gatelink_codec gatelink_failover gatelink_store
  COMPILE_IN gatelink_codec gatelink_failover gatelink_topology gatelink_xml gatelink_signature
             "gatelink_store=/(topology_document|stored_topology|topology_trust)\\.cpp$"
  EXTRA ${_fuzz_topology_extra}
  FUZZ_LIBS gatelink_common tinyxml2::tinyxml2 OpenSSL::Crypto Boost::headers
  MAX_LEN 16512 RUNS 30000)

# The agent configuration (config/agent.xml), with the xml and topology modules' rules.
gatelink_fuzz_target(config
  LIBS gatelink_config gatelink_codec
  COMPILE_IN gatelink_config gatelink_xml gatelink_topology gatelink_codec
  FUZZ_LIBS gatelink_common tinyxml2::tinyxml2 Boost::headers
  MAX_LEN 16384 RUNS 30000)

# The persisted topology file (topology.xml: a <stored-topology> or the version-1 document):
# all of the xml module (the strict prologue, and the printer the round trip goes through), of
# the store and of the signature module (accept_persisted against the test key); the topology's
# rules; the time format from the status module.
gatelink_fuzz_target(topology_xml
  LIBS gatelink_store
  COMPILE_IN gatelink_xml gatelink_topology gatelink_store gatelink_signature
  EXTRA ${_fuzz_topology_extra}
  FUZZ_LIBS gatelink_common tinyxml2::tinyxml2 OpenSSL::Crypto
  MAX_LEN 8192 RUNS 15000)

# The local status endpoint's request line (agent/status_request.hpp, status_protocol.cpp).
get_target_property(_fuzz_agent_dir gatelink_status_endpoint SOURCE_DIR)
gatelink_fuzz_target(status_request
  LIBS gatelink_status_endpoint nlohmann_json::nlohmann_json
  EXTRA ${_fuzz_agent_dir}/status_protocol.cpp
  FUZZ_LIBS gatelink_common Boost::headers nlohmann_json::nlohmann_json
  MAX_LEN 1024 RUNS 60000)
if(TARGET status_request_fuzz)
  target_include_directories(status_request_fuzz PRIVATE ${_fuzz_agent_dir})
endif()

# The admission frame before TLS: read_message from the plain socket and decide_admission.
gatelink_fuzz_target(admission
  LIBS gatelink_link
  COMPILE_IN gatelink_codec "gatelink_link=/(admission|buffer_budget|frame_read)\\.cpp$"
  FUZZ_LIBS gatelink_common gatelink_topology Boost::headers Threads::Threads
  MAX_LEN 2048 RUNS 60000)
