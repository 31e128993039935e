/* The module is header-only; SwiftPM needs one C file for a C target. */
#include "gatepass_build_info.h"
