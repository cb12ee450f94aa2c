# The unit suites of the Windows build, cross-built with mingw-w64 and run under Debian's wine
# (CMAKE_CROSSCOMPILING_EMULATOR): the pure modules, and the Windows seams behind them (durable
# writes with FlushFileBuffers/MoveFileEx, the state folder lock, the configuration defaults, the
# named-pipe endpoint's rules). ctest in the Windows build folder runs them with its usual
# summary; packaging/build.sh msi --test does that.

find_program(GATELINK_WINE wine REQUIRED)
find_program(GATELINK_WINEBOOT wineboot REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${GATELINK_WINE})

# One wine prefix for the suite, in the build folder, made once by the fixture test wine_prefix,
# so that parallel tests never race to create it. No Mono or Gecko: nothing here needs them.
set(GATELINK_WINE_ENV "WINEPREFIX=${CMAKE_BINARY_DIR}/wineprefix" "WINEDEBUG=-all"
                      "WINEDLLOVERRIDES=mscoree,mshtml=")
add_test(NAME wine_prefix COMMAND ${GATELINK_WINEBOOT} --init)
set_tests_properties(wine_prefix PROPERTIES FIXTURES_SETUP wine TIMEOUT 300
                                            ENVIRONMENT "${GATELINK_WINE_ENV}")

include(unit/codec.cmake)
include(unit/config.cmake)
include(unit/failover.cmake)
include(unit/status.cmake)
include(unit/agent_platform.cmake)
include(unit/xml.cmake)
include(unit/store.cmake)
include(unit/bootstrap.cmake)

# A C host that loads gatelink.dll at run time, asks its ABI version and unloads it.
add_executable(abi_smoke ${CMAKE_SOURCE_DIR}/packaging/windows/abi_smoke.c)
target_include_directories(abi_smoke PRIVATE ${CMAKE_SOURCE_DIR}/plugin/include)
add_dependencies(abi_smoke gatelink)
add_test(NAME abi_smoke COMMAND abi_smoke $<TARGET_FILE:gatelink>)
set_tests_properties(abi_smoke PROPERTIES FIXTURES_REQUIRED wine TIMEOUT 120 LABELS windows
                                          ENVIRONMENT "${GATELINK_WINE_ENV}")

# The Windows programs as shipped (GATELINK_WINDOWS_DIST: dist/windows and the MSI beside it,
# from packaging/build.sh msi) against the Linux reference gateway (GATELINK_LINUX_BIN_DIR: a
# Linux build's bin/). Each script makes its own wine prefix; exit 77 (skipped) when a part is
# missing.
set(GATELINK_WINDOWS_DIST "" CACHE PATH "dist/windows of packaging/build.sh msi (empty: not tested)")
set(GATELINK_LINUX_BIN_DIR "" CACHE PATH "bin/ of a Linux build with gatelink-gateway")
if(GATELINK_WINDOWS_DIST)
  set(msi "${GATELINK_WINDOWS_DIST}/../gatelink-agent-${PROJECT_VERSION}-x64.msi")
  set(env "GATELINK_BIN_DIR=${GATELINK_LINUX_BIN_DIR}" "WINEDEBUG=-all")
  add_test(NAME msi_tables COMMAND bash ${CMAKE_SOURCE_DIR}/tests/packaging/msi_tables_test.sh ${msi})
  add_test(NAME wine_agent COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/windows/wine-agent-test.sh
                                   ${GATELINK_WINDOWS_DIST})
  add_test(NAME wine_msi COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/windows/wine-msi-test.sh ${msi})
  set_tests_properties(msi_tables wine_agent wine_msi PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
                                                                 LABELS "windows;packaging"
                                                                 ENVIRONMENT "${env}")
endif()
