/* A host in C that loads gatelink.dll at run time, as an existing agent would, asks for the ABI
 * version before anything else (gatelink.h), and unloads the library again. Exit status 0 when
 * the DLL loads, exports the entry points and answers the ABI version it was built with.
 * Cross-compiled and run under wine by packaging/windows/wine-smoke.sh. */
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "gatelink/gatelink.h"

typedef int (*abi_version_fn)(void);
typedef const char* (*version_fn)(void);

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "gatelink.dll";
  HMODULE library = LoadLibraryA(path);
  if (library == NULL) {
    fprintf(stderr, "abi_smoke: cannot load %s: error %lu\n", path, GetLastError());
    return 1;
  }
  abi_version_fn abi_version =
      (abi_version_fn)(void*)GetProcAddress(library, "gatelink_abi_version");
  version_fn version = (version_fn)(void*)GetProcAddress(library, "gatelink_version");
  if (abi_version == NULL || version == NULL) {
    fprintf(stderr, "abi_smoke: %s does not export gatelink_abi_version/gatelink_version\n", path);
    return 1;
  }
  const int abi = abi_version();
  printf("abi_smoke: %s: gatelink_abi_version() = %d (header: %d), gatelink_version() = %s\n", path,
         abi, GATELINK_ABI_VERSION, version());
  if (!FreeLibrary(library)) {
    fprintf(stderr, "abi_smoke: FreeLibrary failed: error %lu\n", GetLastError());
    return 1;
  }
  printf("abi_smoke: unloaded\n");
  return abi == GATELINK_ABI_VERSION ? 0 : 1;
}
