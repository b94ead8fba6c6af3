/* A descriptor with the wrong magic number. */
#define FX_MAGIC 0xdeadbeefu
#include "fixture.h"
