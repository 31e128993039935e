#ifndef GATEPASS_CYAML_SHIM_H
#define GATEPASS_CYAML_SHIM_H
#include <yaml.h>
#endif
