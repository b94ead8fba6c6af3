/* A version that is not semantic versioning (no patch number). */
#define FX_VERSION "1.0"
#include "fixture.h"
