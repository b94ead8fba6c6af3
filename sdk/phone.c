/*
 * E.164 normalisation (see include/bookwell-sdk/phone.h). Separators people
 * type are dropped; anything else that is not a digit (letters, "ext", '#')
 * makes the number invalid rather than guessed at, since a wrong number
 * means a text to a stranger.
 */
#include <bookwell-sdk/phone.h>

#include <string.h>

#include <bookwell/abi.h>

#define INPUT_MAX 64

static bool separator(char c)
{
    return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '(' || c == ')' || c == '/';
}

/* NANP: area code and exchange are [2-9]XX, not N11; area codes with 9 in
 * the middle are reserved for expansion. d holds ten digits. */
static bool nanp_valid(const char *d)
{
    if (d[0] < '2' || (d[1] == '1' && d[2] == '1') || d[1] == '9')
        return false;
    if (d[3] < '2' || (d[4] == '1' && d[5] == '1'))
        return false;
    return true;
}

static int put(char out[BWSDK_E164_MAX], const char *digits, size_t n)
{
    if (n + 2 > BWSDK_E164_MAX)
        return BW_E_INVAL;
    out[0] = '+';
    memcpy(out + 1, digits, n);
    out[n + 1] = 0;
    return 0;
}

static int international(const char *d, size_t n, char out[BWSDK_E164_MAX])
{
    /* Country codes never start with 0; E.164 allows at most 15 digits. The
     * shortest numbers in use are 8 digits with the country code. */
    if (n < 8 || n > 15 || d[0] == '0')
        return BW_E_INVAL;
    if (d[0] == '1' && (n != 11 || !nanp_valid(d + 1)))
        return BW_E_INVAL;
    return put(out, d, n);
}

int bwsdk_phone_e164(const char *in, const char *region, char out[BWSDK_E164_MAX])
{
    char d[INPUT_MAX];
    size_t n = 0;
    bool plus = false;
    out[0] = 0;
    if (!in || strnlen(in, INPUT_MAX + 1) > INPUT_MAX)
        return BW_E_INVAL;
    if (!region)
        region = "US";
    for (const char *p = in; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            d[n++] = *p;
        } else if (*p == '+' && n == 0 && !plus) {
            plus = true;
        } else if (!separator(*p)) {
            return BW_E_INVAL;
        }
    }
    if (n == 0)
        return BW_E_INVAL;
    if (plus)
        return international(d, n, out);
    if (n > 3 && memcmp(d, "011", 3) == 0)
        return international(d + 3, n - 3, out);
    if (n > 2 && memcmp(d, "00", 2) == 0)
        return international(d + 2, n - 2, out);
    if (strcmp(region, "US") != 0 && strcmp(region, "CA") != 0)
        return BW_E_NOTSUP;
    const char *ten = NULL;
    if (n == 10)
        ten = d;
    else if (n == 11 && d[0] == '1')
        ten = d + 1;
    if (!ten || !nanp_valid(ten))
        return BW_E_INVAL;
    char e[11] = "1";
    memcpy(e + 1, ten, 10);
    return put(out, e, 11);
}

bool bwsdk_phone_is_nanp(const char *e164)
{
    if (!e164 || strncmp(e164, "+1", 2) != 0 || strlen(e164) != 12)
        return false;
    for (int i = 2; i < 12; i++)
        if (e164[i] < '0' || e164[i] > '9')
            return false;
    return nanp_valid(e164 + 2);
}
