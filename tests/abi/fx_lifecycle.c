/* Opens instances but never closes them. */
#define FX_INSTANCE_CLOSE NULL
#include "fixture.h"
