/* A malformed id: capitals and a space, no "<kind>." form. */
#define FX_ID "Emr Fixture"
#include "fixture.h"
