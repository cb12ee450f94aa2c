# libgatelink for embedders: the library (SONAME libgatelink.so.0), its headers, a pkg-config
# file (gatelink.pc) and a CMake package (find_package(gatelink) → gatelink::gatelink), all
# relocatable, so `cmake --install --prefix P` gives a tree usable from P.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS gatelink EXPORT gatelinkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/plugin/include/gatelink/gatelink.h
              ${PROJECT_SOURCE_DIR}/plugin/include/gatelink/gatelink.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatelink)

set(GATELINK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gatelink)
install(EXPORT gatelinkTargets NAMESPACE gatelink:: DESTINATION ${GATELINK_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/gatelinkConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/gatelinkConfig.cmake INSTALL_DESTINATION ${GATELINK_CMAKE_DIR})
# 0.x: a minor release may change the ABI (the SONAME says when it does).
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/gatelinkConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gatelinkConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/gatelinkConfigVersion.cmake
        DESTINATION ${GATELINK_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own folder (${pcfiledir}).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(GATELINK_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  string(REGEX REPLACE "[^/]+" ".." _gatelink_up "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  set(GATELINK_PC_PREFIX "\${pcfiledir}/${_gatelink_up}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/gatelink.pc.in ${CMAKE_CURRENT_BINARY_DIR}/gatelink.pc
               @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gatelink.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
