// libprotobuf-c, the runtime that encodes and decodes every Plugboard message.
#ifndef PLUGBOARD_CPROTOBUFC_SHIM_H
#define PLUGBOARD_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
