# Warnings, sanitizers, clang-tidy and ccache for gatelink's own targets.

if(GATELINK_CCACHE)
  find_program(GATELINK_CCACHE_EXE ccache REQUIRED)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${GATELINK_CCACHE_EXE})
  set(CMAKE_C_COMPILER_LAUNCHER ${GATELINK_CCACHE_EXE})
endif()

if(GATELINK_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(GATELINK_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC 12 warns that TSan does not model Asio's atomic_thread_fence.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_link_options(-fsanitize=thread)
elseif(NOT GATELINK_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GATELINK_SANITIZE must be '', 'address' or 'thread'")
endif()

if(GATELINK_CLANG_TIDY)
  find_program(GATELINK_CLANG_TIDY_EXE NAMES clang-tidy clang-tidy-14 REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${GATELINK_CLANG_TIDY_EXE})
  # clang-tidy cannot read GCC's precompiled headers.
  set(CMAKE_DISABLE_PRECOMPILE_HEADERS ON)
endif()

# Only the code and data that something uses end up in a program or libgatelink.so: each
# function and object in a section of its own, the unused sections dropped at link time. A
# module's static library is one object (a unity build), so without this every program that
# uses one function of a module would carry, and at start map, the whole module; the agent would
# carry the whole endpoint for its configuration check (docs/BENCHMARKS.md "Agent at rest").
# ELF only: the mingw-w64 build keeps the linker's defaults.
if(NOT WIN32)
  add_compile_options(-ffunction-sections -fdata-sections)
  add_link_options(LINKER:--gc-sections)
endif()

# gatelink_target_defaults(<target>): the warnings for our own code. They are errors where
# CMAKE_COMPILE_WARNING_AS_ERROR is on (the target property COMPILE_WARNING_AS_ERROR follows it).
# Each of our targets is compiled as one translation unit (a unity build) unless
# GATELINK_UNITY_BUILD is off: the Asio, OpenSSL, spdlog and GoogleTest headers a module's files
# share are parsed, and their templates instantiated, once per module instead of once per file,
# which roughly halves the time two cores take to build the suite.
function(gatelink_target_defaults target)
  set_target_properties(${target} PROPERTIES UNITY_BUILD ${GATELINK_UNITY_BUILD}
                                             UNITY_BUILD_BATCH_SIZE 0)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    "$<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor;-Wold-style-cast;-Woverloaded-virtual>"
    # Designated initializers that leave defaulted members out are intended.
    -Wno-missing-field-initializers
    # GCC 12 warns falsely on Asio's coroutine frames, whose class-specific operator new/delete
    # it pairs wrongly when a coroutine holds several awaited temporaries.
    $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-Wno-mismatched-new-delete>
    # In a unity build every source file is an included file, and GCC's -Wsubobject-linkage,
    # meant for headers, fires on coroutine frames that hold a type of the file's anonymous
    # namespace.
    $<$<AND:$<BOOL:${GATELINK_UNITY_BUILD}>,$<COMPILE_LANG_AND_ID:CXX,GNU>>:-Wno-subobject-linkage>)
  target_compile_definitions(${target} PRIVATE
    BOOST_ASIO_NO_DEPRECATED SPDLOG_FMT_EXTERNAL)
endfunction()
