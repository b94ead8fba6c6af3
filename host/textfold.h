/*
 * Reading people's text word by word, the same way for every rule-based
 * reader (opt-out keywords, health-detail redaction): UTF-8 decoding that
 * turns a bad byte into U+FFFD instead of failing, a class for each
 * character (part of a word, an apostrophe inside one, a clause break, a
 * space), and folding of letters to lowercase ASCII where a Latin letter has
 * an accent ("Á" -> "a", "ß" -> "ss", "Œ" -> "oe"), so rules are written
 * once in plain ASCII. Stateless and thread-safe.
 */
#ifndef BW_HOST_TEXTFOLD_H
#define BW_HOST_TEXTFOLD_H

#include <stddef.h>
#include <stdint.h>

enum textfold_kind {
    TEXTFOLD_LETTER, /* letters and digits of any script */
    TEXTFOLD_JOIN,   /* apostrophes: dropped, the word goes on ("don't" -> "dont") */
    TEXTFOLD_SPACE,  /* spaces, hyphens, symbols, emoji, bad bytes */
    TEXTFOLD_BREAK,  /* . , ! ? ; : line breaks, ¡ ¿ … : the end of a clause */
};

/* Decodes the UTF-8 sequence at s (s[0] != '\0'); returns its length, 1 for
 * a bad byte with *cp = 0xFFFD. Never reads past a NUL. */
size_t textfold_next(const char *s, uint32_t *cp);

enum textfold_kind textfold_kind(uint32_t cp);

/* The folded form of the letter cp, whose UTF-8 bytes are src[0..len):
 * lowercase ASCII for ASCII and accented Latin-1 letters, "oe" for Œ/œ, else
 * the bytes unchanged. Writes at most 4 bytes and a NUL; returns the count. */
size_t textfold_letter(uint32_t cp, const char *src, size_t len, char out[5]);

#endif
