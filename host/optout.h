/*
 * Opt-out, opt-in and help recognition for inbound messages on every
 * channel. Two layers:
 *
 * - Keywords, when they are the whole message (any case, accents folded,
 *   surrounding punctuation and whitespace ignored): STOP, STOPALL,
 *   UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, OPT OUT, REMOVE, ARRET
 *   and ARRÊT opt out; START and UNSTOP opt in, and YES does when the contact
 *   is opted out; HELP, INFO and AIDE ask for help. ARRET and AIDE are
 *   accepted for every tenant, not only Canadian ones: a French speaker
 *   texting "arrêt" to a US clinic is revoking consent too, and no English
 *   message is the single word "arret".
 * - Revocation in plain words, English and Spanish (and a little French):
 *   "please stop texting me", "take me off your list", "don't message me
 *   again", "no más", "dejen de escribirme". Appointment requests that
 *   share the words are not revocations: "cancel my appointment", "can I
 *   stop by tomorrow?", "I want to stop getting botox". Nor is "wrong
 *   number" by itself: the conversation answers it once and books nothing;
 *   "wrong number, stop texting me" revokes through its other words.
 *   CANCEL, END, QUIT and REMOVE revoke only as the whole message or with a
 *   messaging object ("cancel the texts"); STOP and UNSUBSCRIBE also revoke as
 *   a sentence of their own ("Not interested. STOP"), which is deliberate:
 *   a missed revocation is a violation, a needless one costs one text.
 *
 * Pure and thread-safe; reads the text only.
 */
#ifndef BW_HOST_OPTOUT_H
#define BW_HOST_OPTOUT_H

#include <stdbool.h>

enum optout_class {
    OPTOUT_NONE = 0,
    OPTOUT_OPT_OUT,
    OPTOUT_OPT_IN,
    OPTOUT_HELP,
};

/*
 * Classifies text (UTF-8; invalid bytes count as spaces). opted_out says
 * whether the contact is currently opted out (YES opts in only then). When
 * keyword is not NULL it is set to true when the answer came from a
 * whole-message keyword, false when from plain words or for NONE.
 */
enum optout_class optout_classify(const char *text, bool opted_out, bool *keyword);

/* "NONE", "OPT_OUT", "OPT_IN", "HELP". */
const char *optout_class_name(enum optout_class c);

#endif
