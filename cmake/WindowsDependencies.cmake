# The dependencies of the Windows (mingw-w64) build, under the imported-target names the Linux
# build gets from Debian's CMake packages, so that the modules' CMakeLists are the same for both.
# They come from packaging/windows/deps.sh's cache, which cmake/mingw-w64-x86_64.cmake puts on the
# find root path: OpenSSL, tinyxml2 and c-ares built from Debian's sources, and the header-only
# libraries as Debian installs them (a folder of links, never /usr/include itself).

if(NOT MINGW)
  message(FATAL_ERROR "the Windows build is made with mingw-w64: "
                      "-DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake")
endif()

# Windows 10 and Server 2016 or later (TCP_KEEPIDLE and friends, GetAddrInfoExW cancellation);
# no winsock.h through windows.h (Asio and c-ares include winsock2.h); no min/max macros.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX)

# Static libssl/libcrypto; FindOpenSSL adds ws2_32 and crypt32 for them.
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED)
find_package(tinyxml2 REQUIRED CONFIG)

# c-ares' own CMake package; the Linux build takes it from pkg-config (plugin/resolve), under
# this name. cares_static carries CARES_STATICLIB and its system libraries (ws2_32, advapi32,
# iphlpapi).
find_package(c-ares REQUIRED CONFIG)
add_library(PkgConfig::CARES INTERFACE IMPORTED GLOBAL)
target_link_libraries(PkgConfig::CARES INTERFACE c-ares::cares_static)

# Header-only libraries: one include folder of links to Debian's (deps.sh).
find_path(GATELINK_MINGW_HEADERS NAMES boost/version.hpp nlohmann/json.hpp CLI/CLI.hpp
                                       spdlog/spdlog.h fmt/format.h REQUIRED)
file(STRINGS "${GATELINK_MINGW_HEADERS}/boost/version.hpp" _gatelink_boost_version
     REGEX "^#define BOOST_VERSION [0-9]+")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" _gatelink_boost_version "${_gatelink_boost_version}")
if(_gatelink_boost_version LESS 108100)
  message(FATAL_ERROR "Boost ${_gatelink_boost_version} in ${GATELINK_MINGW_HEADERS}: 1.81 needed")
endif()

function(gatelink_header_only_target name)
  add_library(${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${GATELINK_MINGW_HEADERS}")
endfunction()

# Asio on Windows: Winsock 2 and its Microsoft extensions (AcceptEx, ConnectEx).
gatelink_header_only_target(Boost::headers)
set_property(TARGET Boost::headers PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 mswsock)
gatelink_header_only_target(nlohmann_json::nlohmann_json)
gatelink_header_only_target(CLI11::CLI11)
# fmt header-only: there is no libfmt for mingw. Debian's spdlog (tweakme.h) always uses an
# external fmt (SPDLOG_FMT_EXTERNAL), so this is the fmt spdlog formats with too.
gatelink_header_only_target(fmt::fmt)
set_property(TARGET fmt::fmt PROPERTY INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY)
gatelink_header_only_target(spdlog::spdlog_header_only)
set_property(TARGET spdlog::spdlog_header_only PROPERTY INTERFACE_COMPILE_DEFINITIONS
             SPDLOG_FMT_EXTERNAL)
set_property(TARGET spdlog::spdlog_header_only PROPERTY INTERFACE_LINK_LIBRARIES fmt::fmt)
add_library(spdlog::spdlog ALIAS spdlog::spdlog_header_only)
