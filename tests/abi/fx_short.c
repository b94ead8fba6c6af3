/* Claims a descriptor shorter than ABI 1.0's. */
#define FX_STRUCT_SIZE 40
#include "fixture.h"
