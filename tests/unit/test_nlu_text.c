/*
 * Understanding, the first stage: cutting messages into tokens (numbers with
 * minutes, dates, ordinals and am/pm; emails, links, money; emoji; clause
 * ends), the bounded edit distance, slang, and keyword typo correction.
 */
#include "test_nlu_fixture.h"

#include "nlu/internal.h"

static struct nlu_text tx;

static void cut(const char *s)
{
    cr_assert_eq(nlu_lexicon_init(), 0);
    nlu_text_cut(&tx, s);
    nlu_lexicon_slang(&tx);
    nlu_lexicon_ids(&tx);
}

static void word(int i, const char *w)
{
    cr_assert_lt(i, tx.n, "token %d missing (have %d)", i, tx.n);
    cr_assert_eq(tx.t[i].kind, TK_WORD, "token %d is no word", i);
    cr_assert(tok_is(&tx.t[i], w), "token %d is '%.*s', wanted '%s'", i, tx.t[i].wlen, tx.t[i].w, w);
}

Test(nlu_text, apostrophes_are_dropped_and_slang_mapped)
{
    cut("I'll take it, tmrw pls u rock thx");
    cr_assert_eq(tx.n, 8);
    word(0, "ill");
    word(1, "take");
    word(2, "it");
    cr_assert(tx.t[2].flags & TF_COMMA);
    word(3, "tomorrow");
    cr_assert_eq(tx.t[3].rawlen, 4, "the written form is kept");
    word(4, "please");
    word(5, "you");
    word(7, "thanks");
    cut("it\xE2\x80\x99s Emily");
    word(0, "its");
    word(1, "emily");
    cr_assert(tx.t[1].flags & TF_CAP);
}

Test(nlu_text, numbers_carry_minutes_dates_ordinals_and_meridiem)
{
    cut("3:30pm 11th 4ish 4-ish 10 a.m. 3/15/27 930am 3.30pm");
    cr_assert_eq(tx.t[0].kind, TK_NUM);
    cr_assert_eq(tx.t[0].num, 3);
    cr_assert_eq(tx.t[0].num2, 30);
    cr_assert_eq(tx.t[0].flags & (TF_MINUTES | TF_PM), TF_MINUTES | TF_PM);
    cr_assert(tx.t[1].flags & TF_ORD);
    cr_assert_eq(tx.t[1].num, 11);
    cr_assert(tx.t[2].flags & TF_ISH);
    cr_assert(tx.t[3].flags & TF_ISH);
    cr_assert_eq(tx.t[4].num, 10);
    word(5, "am");
    cr_assert(tx.t[5].flags & TF_AM);
    cr_assert(tx.t[6].flags & TF_SLASH);
    cr_assert_eq(tx.t[6].num, 3);
    cr_assert_eq(tx.t[6].num2, 15);
    cr_assert_eq(tx.t[6].num3, 2027);
    cr_assert_eq(tx.t[7].num, 930);
    cr_assert(tx.t[7].flags & TF_AM);
    cr_assert_eq(tx.n, 9);
    cr_assert_eq(tx.t[8].num2, 30, "3.30pm has minutes");
}

Test(nlu_text, money_decimals_and_digit_runs_are_not_times)
{
    cut("$1,200.50 or 2.5 units, card 4111 1111 1111 1111");
    cr_assert_eq(tx.t[0].kind, TK_MONEY);
    cr_assert(tx.t[2].flags & TF_GROUPED, "a decimal");
    int cards = 0;
    for (int i = 0; i < tx.n; i++)
        cards += tx.t[i].kind == TK_NUM && (tx.t[i].flags & TF_GROUPED) && tx.t[i].ndig == 4;
    cr_assert_eq(cards, 4);
    cr_assert(tx.flags & NLU_F_CARD_DIGITS);
    cut("call 415 555 0101");
    cr_assert(tx.t[1].flags & TF_GROUPED);
    cr_assert_not(tx.flags & NLU_F_CARD_DIGITS);
}

Test(nlu_text, a_card_masked_by_the_redaction_is_still_card_digits)
{
    cut("can I just pay here? card **** **** **** 1111 exp **/** cvv ***");
    cr_assert(tx.flags & NLU_F_CARD_DIGITS);
    cut("pay with ************4444 please");
    cr_assert(tx.flags & NLU_F_CARD_DIGITS);
    cut("5 stars ***** loved it, 10/10");
    cr_assert_not(tx.flags & NLU_F_CARD_DIGITS);
    cut("the ******** thing 1234");
    cr_assert_not(tx.flags & NLU_F_CARD_DIGITS);
}

Test(nlu_text, words_with_digits_stay_words)
{
    cut("11s b4 2day");
    word(0, "11s");
    word(1, "before");
    word(2, "today");
}

Test(nlu_text, emails_links_and_emoji)
{
    cut("email me at Emily.Chen+spa@example.co.uk or see https://glow.example/x 😊👍");
    cr_assert_geq(tx.email_tok, 0);
    const struct nlu_token *e = &tx.t[tx.email_tok];
    cr_assert_eq(e->kind, TK_EMAIL);
    cr_assert_eq(e->olen, strlen("Emily.Chen+spa@example.co.uk"));
    bool url = false;
    for (int i = 0; i < tx.n; i++)
        url = url || tx.t[i].kind == TK_URL;
    cr_assert(url);
    word(tx.n - 1, "ok");
    cr_assert(tx.flags & NLU_F_EMOJI);
    cut("not an email: me@home, @4");
    cr_assert_eq(tx.email_tok, -1);
    cr_assert(tx.t[tx.n - 1].flags & TF_ATSIGN);
}

Test(nlu_text, hyphens_clauses_and_titles)
{
    cut("Lee-Ann, 2-4pm? Dr. Smith. ok!");
    word(0, "lee");
    word(1, "ann");
    cr_assert_eq(tx.t[1].flags & (TF_HYPHEN | TF_JOIN), TF_HYPHEN | TF_JOIN);
    cr_assert(tx.t[1].flags & TF_COMMA);
    cr_assert_eq(tx.t[2].num, 2);
    cr_assert(tx.t[3].flags & TF_HYPHEN);
    cr_assert(tx.t[3].flags & TF_PM);
    cr_assert(tx.t[3].flags & TF_QMARK);
    word(4, "dr");
    cr_assert_not(tx.t[4].flags & TF_STOP, "a title's dot ends nothing");
    cr_assert(tx.t[5].flags & TF_STOP);
    cr_assert_eq(tx.t[0].clause, 0);
    cr_assert_eq(tx.t[2].clause, 1);
    cr_assert_eq(tx.t[4].clause, 2);
    cr_assert_eq(tx.t[5].clause, 2);
    cr_assert_eq(tx.t[6].clause, 3);
    cr_assert(tx.flags & NLU_F_QUESTION);
}

Test(nlu_text, latin_letters_fold_and_case_is_noted)
{
    cut("JOSÉ Zoë");
    cr_assert_eq(tx.n, 2);
    cr_assert_eq(tx.t[0].rawlen, 5);
    cr_assert_eq(memcmp(tx.t[0].raw, "jos\xC3\xA9", 5), 0);
    cr_assert(tx.t[0].flags & TF_UPPER);
    cr_assert(tx.t[1].flags & TF_CAP);
    cr_assert_not(tx.t[1].flags & TF_UPPER);
}

Test(nlu_text, long_messages_are_bounded)
{
    static char big[NLU_TEXT_MAX * 2];
    for (size_t i = 0; i + 3 < sizeof big; i += 3)
        memcpy(big + i, "ab ", 3);
    big[sizeof big - 1] = '\0';
    cut(big);
    cr_assert(tx.flags & NLU_F_TRUNCATED);
    cr_assert_leq(tx.n, NLU_TOKENS_MAX);
    /* a multi-byte letter is never split at the limit */
    static char utf[NLU_TEXT_MAX + 8];
    memset(utf, 'a', sizeof utf);
    memcpy(utf + NLU_TEXT_MAX - 1, "\xC3\xA9", 2);
    utf[sizeof utf - 1] = '\0';
    cut(utf);
    cr_assert_eq(tx.origlen, NLU_TEXT_MAX - 1);
}

Test(nlu_text, edit_distance_counts_swaps_as_one)
{
    cr_assert_eq(nlu_fuzzy_distance("botx", 4, "botox", 5, 2), 1);
    cr_assert_eq(nlu_fuzzy_distance("hydrafacail", 11, "hydrafacial", 11, 2), 1);
    cr_assert_eq(nlu_fuzzy_distance("thrusday", 8, "thursday", 8, 2), 1);
    cr_assert_eq(nlu_fuzzy_distance("fillr", 5, "filler", 6, 1), 1);
    cr_assert_eq(nlu_fuzzy_distance("feel", 4, "peel", 4, 1), 1);
    cr_assert_eq(nlu_fuzzy_distance("abc", 3, "abc", 3, 0), 0);
    cr_assert_eq(nlu_fuzzy_distance("kitten", 6, "sitting", 7, 1), 2, "over the bound: bound + 1");
    cr_assert_eq(nlu_fuzzy_distance("kitten", 6, "sitting", 7, 5), 3);
    cr_assert_eq(nlu_fuzzy_distance("a", 1, "abcdef", 6, 2), 3, "lengths alone exceed the bound");
    cr_assert_eq(nlu_fuzzy_allowed(3), 0);
    cr_assert_eq(nlu_fuzzy_allowed(4), 1);
    cr_assert_eq(nlu_fuzzy_allowed(8), 1);
    cr_assert_eq(nlu_fuzzy_allowed(9), 2);
}

Test(nlu_text, misspelt_keywords_are_corrected_names_are_not)
{
    cut("tomorow thrusday apointment wendsday cancle Nina Morgan Priya Frida");
    nlu_lexicon_correct(&tx, false);
    word(0, "tomorrow");
    word(1, "thursday");
    word(2, "appointment");
    word(3, "wednesday");
    word(4, "cancel");
    word(5, "nina");
    word(6, "morgan");
    word(7, "priya");
    word(8, "friday");
    cut("Frida");
    nlu_lexicon_correct(&tx, true);
    word(0, "frida");
}

Test(nlu_text, vocabulary_knows_ordinary_words)
{
    cr_assert_eq(nlu_lexicon_init(), 0);
    cr_assert(nlu_word_known("feel", 4));
    cr_assert(nlu_word_known("later", 5));
    cr_assert(nlu_word_known("tomorrow", 8));
    cr_assert_not(nlu_word_known("botox", 5));
    cr_assert_not(nlu_word_known("hydrafacial", 11));
    cr_assert_str_eq(nlu_slang("tmrw", 4), "tomorrow");
    cr_assert_null(nlu_slang("botox", 5));
}
