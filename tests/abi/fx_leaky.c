/*
 * A plugin built the wrong way, on purpose: without the version script and
 * hidden visibility, and linked against libcrypto. The loader accepts it
 * (its descriptor is fine); the symbol check must flag it.
 */
#define FX_ID "emr.leaky"
#include "fixture.h"

#include <openssl/sha.h>

int fx_leaky_helper(const unsigned char *data, unsigned long len, unsigned char *out);
int fx_leaky_helper(const unsigned char *data, unsigned long len, unsigned char *out)
{
    return SHA256(data, len, out) != NULL;
}
