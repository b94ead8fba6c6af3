/* An EMR plugin without its mandatory catalog op. */
#define FX_CATALOG NULL
#include "fixture.h"
