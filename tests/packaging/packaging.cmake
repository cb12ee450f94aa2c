# The install test of the Debian packages (tests/packaging/README.md): packaging/build.sh builds
# the debs, then tests/packaging/install_test.sh installs them into a debootstrap root of Debian
# 12. Registered only where its tools are; it skips (exit 77) when not run as root.
find_program(GATELINK_DEBOOTSTRAP debootstrap HINTS /usr/sbin /sbin)
find_program(GATELINK_DPKG_BUILDPACKAGE dpkg-buildpackage)
find_program(GATELINK_LINTIAN lintian)
if(GATELINK_DEBOOTSTRAP AND GATELINK_DPKG_BUILDPACKAGE AND GATELINK_LINTIAN
   AND EXISTS ${CMAKE_SOURCE_DIR}/packaging/build.sh)
  add_test(NAME packaging_install
           COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/build.sh deb --test
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  # A full package build plus the install test: the longest test, so ctest starts it first.
  # werror: the package build (Debian's dpkg-buildflags, hardening=+all) fails on a warning.
  set_tests_properties(packaging_install PROPERTIES TIMEOUT 1800 COST 100000 LABELS packaging
                                                    SKIP_RETURN_CODE 77
                                                    ENVIRONMENT "DEB_BUILD_OPTIONS=werror")
else()
  message(STATUS "packaging_install not registered: debootstrap, dpkg-buildpackage or lintian "
                 "is missing (scripts/deps.sh installs them), or packaging/build.sh is")
endif()

# The tables of the Windows MSI (packaging/msi/gatelink.wxs), checked with msiinfo. Built from
# the Windows programs in GATELINK_MSI_FILES when set (a folder with gatelink-agent.exe,
# gatelinkctl.exe, gatelink.dll, agent.xsd, topology.xsd), else from stand-in files of those
# names, which the test says in its output.
set(GATELINK_MSI_FILES "" CACHE PATH "Folder of the Windows programs for the MSI test (empty: stand-ins)")
find_program(GATELINK_WIXL wixl)
find_program(GATELINK_MSIINFO msiinfo)
if(GATELINK_WIXL AND GATELINK_MSIINFO)
  add_test(NAME packaging_msi_tables
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/msi_tables_test.sh)
  set_tests_properties(packaging_msi_tables PROPERTIES TIMEOUT 120 LABELS packaging
                                                       SKIP_RETURN_CODE 77
                                                       ENVIRONMENT "GATELINK_MSI_FILES=${GATELINK_MSI_FILES}")
else()
  message(STATUS "packaging_msi_tables not registered: wixl or msiinfo is missing "
                 "(apt-get install wixl msitools)")
endif()

# The Windows build and its suite under wine (tests/packaging/windows_test.sh): skipped unless
# the Windows tools are installed. The Linux gateway it runs against is this build's.
add_test(NAME packaging_windows COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/windows_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(packaging_windows PROPERTIES
  TIMEOUT 3600 COST 50000 LABELS packaging SKIP_RETURN_CODE 77
  ENVIRONMENT "GATELINK_BIN_DIR=${CMAKE_BINARY_DIR}/bin;GATELINK_WIN_BUILD_DIR=${CMAKE_BINARY_DIR}/windows;GATELINK_CCACHE=1")
