# CMake toolchain for Windows x64 with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix: the POSIX
# threads flavour, which std::thread and std::mutex need).
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
# The dependencies come from packaging/windows/deps.sh, which builds OpenSSL, tinyxml2 and c-ares
# for mingw into a cache folder and writes mingw-deps.cmake there; this file puts those prefixes
# (and nothing of the Linux system's) on CMake's find root path.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(GATELINK_MINGW_HOST x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${GATELINK_MINGW_HOST}-gcc-posix)
set(CMAKE_CXX_COMPILER ${GATELINK_MINGW_HOST}-g++-posix)
set(CMAKE_RC_COMPILER ${GATELINK_MINGW_HOST}-windres)

# The cache of packaging/windows/deps.sh. GATELINK_MINGW_NO_DEPS: deps.sh itself builds with this
# file before there is anything to find.
if(NOT DEFINED GATELINK_MINGW_CACHE)
  if(DEFINED ENV{GATELINK_MINGW_CACHE})
    set(GATELINK_MINGW_CACHE "$ENV{GATELINK_MINGW_CACHE}")
  else()
    set(GATELINK_MINGW_CACHE /var/cache/gatelink-mingw)
  endif()
endif()
# try_compile projects read this file again: hand them the same values.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GATELINK_MINGW_CACHE GATELINK_MINGW_NO_DEPS)

set(GATELINK_MINGW_PREFIXES "")
if(NOT GATELINK_MINGW_NO_DEPS)
  if(NOT EXISTS "${GATELINK_MINGW_CACHE}/mingw-deps.cmake")
    message(FATAL_ERROR "${GATELINK_MINGW_CACHE}/mingw-deps.cmake is missing: "
                        "run packaging/windows/deps.sh first")
  endif()
  include("${GATELINK_MINGW_CACHE}/mingw-deps.cmake")
endif()

# Headers and libraries only from the cross compiler's own folder and the cache, never from the
# build machine (/usr/include holds glibc's headers); programs from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/${GATELINK_MINGW_HOST} ${GATELINK_MINGW_PREFIXES})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libstdc++, libgcc and winpthread linked in statically, so that gatelink.dll and the programs
# need no mingw DLL beside them (the MSI ships none; wine runs them as they are).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")
