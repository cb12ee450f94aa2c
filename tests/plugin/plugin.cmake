# libgatelink as embedders meet it (docs/PLUGIN.md): exported symbols, unloading, the C host of
# the docs built against the installed tree (pkg-config, find_package), a Python ctypes host, a
# host that dlopens and dlcloses it 100 times, a host with its own Asio, the callbacks, and the
# agent's honest watchdog.

add_test(NAME plugin_exports_only_the_c_abi
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plugin/plugin_symbols_test.sh exports
          $<TARGET_FILE:gatelink> ${CMAKE_SOURCE_DIR}/plugin/endpoint/gatelink.map
          ${CMAKE_SOURCE_DIR}/plugin/include/gatelink/gatelink.h)
add_test(NAME plugin_has_no_unique_symbols
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plugin/plugin_symbols_test.sh unique
          $<TARGET_FILE:gatelink>)
set_tests_properties(plugin_exports_only_the_c_abi plugin_has_no_unique_symbols
                     PROPERTIES LABELS unit)

# The hosts the driver runs (each against a real gateway).
add_executable(plugin_dlopen_host plugin/dlopen_host.c)
gatelink_target_defaults(plugin_dlopen_host)
target_include_directories(plugin_dlopen_host PRIVATE ${CMAKE_SOURCE_DIR}/plugin/include)
target_link_libraries(plugin_dlopen_host PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(plugin_dlopen_host gatelink)

add_executable(plugin_asio_host plugin/asio_host.cpp)
gatelink_target_defaults(plugin_asio_host)
# Another Asio configuration than the library's, its symbols exported (-rdynamic).
target_compile_definitions(plugin_asio_host PRIVATE BOOST_ASIO_DISABLE_EPOLL)
set_target_properties(plugin_asio_host PROPERTIES ENABLE_EXPORTS ON)
target_link_libraries(plugin_asio_host PRIVATE gatelink Boost::headers Threads::Threads)

gatelink_test(plugin_tests PKI TIMEOUT 600
  SOURCES plugin/plugin_callbacks_test.cpp plugin/plugin_hosts_test.cpp
          plugin/agent_watchdog_test.cpp
  LIBS gatelink gatelink_test_harness
  LABELS integration)
# `cmake --install` of the whole build needs every installed program built.
add_dependencies(plugin_tests gatelink-gateway gatelink-agent gatelinkctl gatelink-mg
                 plugin_dlopen_host plugin_asio_host)
include(GNUInstallDirs)
set_property(TEST plugin_tests APPEND PROPERTY ENVIRONMENT
  "GATELINK_LIBRARY=$<TARGET_SONAME_FILE:gatelink>"
  "GATELINK_BUILD_DIR=${CMAKE_BINARY_DIR}"
  "GATELINK_INSTALL_LIBDIR=${CMAKE_INSTALL_LIBDIR}")
# In a sanitizer build, the hosts the tests build against the installed library, and Python,
# are not instrumented: they run with the sanitizer's runtime preloaded.
if(GATELINK_SANITIZE)
  if(GATELINK_SANITIZE STREQUAL "thread")
    set(_gatelink_runtime libtsan.so)
  else()
    set(_gatelink_runtime libasan.so)
  endif()
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${_gatelink_runtime}
                  OUTPUT_VARIABLE _gatelink_sanitizer_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
  set_property(TEST plugin_tests APPEND PROPERTY ENVIRONMENT
    "GATELINK_HOST_PRELOAD=${_gatelink_sanitizer_runtime}" "GATELINK_SANITIZE=${GATELINK_SANITIZE}")
endif()
