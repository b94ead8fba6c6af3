/* Built against ABI 2.0: the host (major 1) refuses it. */
#define FX_ABI_MAJOR 2
#include "fixture.h"
