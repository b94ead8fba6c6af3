/*
 * TwiML answers for Twilio's voice and messaging webhooks: ring the clinic
 * with <Dial> and an action callback, the missed-call message or voicemail,
 * a hangup, and the empty answer to inbound SMS (replies go out through the
 * Messages API so that each has an outbox row). Every text and attribute is
 * XML-escaped.
 */
#include "twilio.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TW_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

int tw_xml_escape(const struct bw_host *host, struct bw_buf *out, const char *s)
{
    const char *run = s;
    int rc = 0;
    for (; *s && rc == 0; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: break;
        }
        /* Control characters other than tab and newlines are not XML. */
        if (!rep && (unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
            rep = " ";
        if (rep) {
            if (s > run)
                rc = host->buf_append(out, run, (uint64_t)(s - run));
            if (rc == 0)
                rc = host->buf_append(out, rep, strlen(rep));
            run = s + 1;
        }
    }
    if (rc == 0 && s > run)
        rc = host->buf_append(out, run, (uint64_t)(s - run));
    return rc;
}

int tw_twiml_dial(const struct bw_host *host, struct bw_buf *out, const char *number,
                  int64_t timeout_s, const char *action_url)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, timeout_s);
    int rc = bwsdk_buf_puts(host, out, TW_XML_HEAD "<Response><Dial timeout=\"");
    if (rc == 0)
        rc = bwsdk_buf_puts(host, out, t);
    if (rc == 0)
        rc = bwsdk_buf_puts(host, out, "\" action=\"");
    if (rc == 0)
        rc = tw_xml_escape(host, out, action_url);
    if (rc == 0)
        rc = bwsdk_buf_puts(host, out, "\" method=\"POST\"><Number>");
    if (rc == 0)
        rc = tw_xml_escape(host, out, number);
    if (rc == 0)
        rc = bwsdk_buf_puts(host, out, "</Number></Dial></Response>");
    return rc;
}

int tw_twiml_missed(const struct bw_host *host, struct bw_buf *out, enum tw_missed_action a,
                    const char *message, int64_t voicemail_max_s)
{
    int rc = bwsdk_buf_puts(host, out, TW_XML_HEAD "<Response>");
    if (rc == 0 && message && *message) {
        rc = bwsdk_buf_puts(host, out, "<Say>");
        if (rc == 0)
            rc = tw_xml_escape(host, out, message);
        if (rc == 0)
            rc = bwsdk_buf_puts(host, out, "</Say>");
    }
    if (rc == 0 && a == TW_MISSED_VOICEMAIL) {
        char t[96];
        snprintf(t, sizeof t, "<Record maxLength=\"%" PRId64 "\" playBeep=\"true\"/>",
                 voicemail_max_s);
        rc = bwsdk_buf_puts(host, out, t);
    }
    if (rc == 0)
        rc = bwsdk_buf_puts(host, out, "<Hangup/></Response>");
    return rc;
}

int tw_twiml_empty(const struct bw_host *host, struct bw_buf *out)
{
    return bwsdk_buf_puts(host, out, TW_XML_HEAD "<Response></Response>");
}

int tw_twiml_hangup(const struct bw_host *host, struct bw_buf *out)
{
    return bwsdk_buf_puts(host, out, TW_XML_HEAD "<Response><Hangup/></Response>");
}
