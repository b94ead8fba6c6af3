/* A second, different build claiming to be emr.fixture 1.0.0. */
#define FX_DESCRIPTION "another build of the same id and version"
#include "fixture.h"
