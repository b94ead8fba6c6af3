/* A kind the ABI does not define. */
#define FX_KIND 9
#include "fixture.h"
