/* Built against ABI 1.2 and requiring it: refused by hosts 1.0 and 1.1,
 * loaded by a host at 1.2. */
#define FX_ABI_MINOR 2
#define FX_ABI_MINOR_REQUIRED 2
#define FX_ID "emr.needs_newer"
#include "fixture.h"
