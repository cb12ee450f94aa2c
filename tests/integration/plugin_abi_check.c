/* Compiled as C: gatelink.h must be usable from plain C hosts. */
#include "gatelink/gatelink.h"

const char* gatelink_abi_check_version(void) { return gatelink_version(); }
