/*
 * The words understanding knows. One sorted vocabulary holds ordinary
 * English words (so that "feel", "later" or "filter" are never taken for a
 * misspelt "peel", "laser" or "filler"), the keywords of dates and times and
 * every word of the intent patterns; each token gets the id of its word once,
 * and the intent matcher compares ids. Slang and short forms are mapped to
 * their words ("tmrw" to "tomorrow", "pls" to "please"), and a misspelt
 * keyword that is no ordinary word is corrected when it is one or two edits
 * away ("tomorow", "thrusday", "apointment"). Built once per process.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Ordinary words, space-separated. Order does not matter. */
static const char *const common_words[] = {
    /* function words */
    "a about above after again against all almost alone along already also although always am "
    "among an and another any anybody anyone anything anyway anyways anywhere are around as at away "
    "back be because been before behind being below beside besides best better between both but "
    "by can cannot could did do does doing done down during each either else enough even ever "
    "every everybody everyone everything everywhere few for from further had has have having he "
    "her here hers herself him himself his how however i if in into is it its itself just least "
    "less let like many may me might mine more most much must my myself neither never no nobody "
    "none nor not nothing now of off often on once one only onto or other others our ours "
    "ourselves out over own per perhaps please quite rather really same she should since so some "
    "somebody someone something sometimes somewhere soon still such than that the their theirs "
    "them themselves then there these they this those though through thus till to together too "
    "toward towards under until up upon us very via was we well were what whatever when whenever "
    "where wherever whether which while who whoever whole whom whose why will with within without "
    "would yet you your yours yourself yourselves",
    /* contractions as written without apostrophes */
    "im ive id ill youre youve youd youll hes shes theyre theyve dont doesnt didnt cant couldnt "
    "wont wouldnt shouldnt isnt arent wasnt werent havent hasnt hadnt thats whats wheres whos "
    "hows theres heres lets aint gonna wanna gotta kinda sorta yall whens",
    /* verbs */
    "accept add agree allow answer appear apply arrive ask asked asking bring build buy call called "
    "calling calls came care carry catch cause change changed check checked checking checks choose "
    "clean close come comes coming consider continue cost could cover cut decide deliver describe "
    "die drive eat end enjoy enter expect explain fall feel feeling feels fell fill filled filling "
    "find finish fit fix fly follow forget found get gets getting give given go goes going gone "
    "got gotten grow guess happen happened happens hate have hear heard help hit hold hope hoping "
    "hurt keep kept know knew known learn leave left let lie lied lies like liked live look looked "
    "looking looks lose lost love made make makes making mean meant meet met mind miss move moved "
    "moving need needed needs open pay paid paying pick plan play prefer put reach read ready "
    "receive remember reply rest return ring run said save saw say says see seem seen sell send "
    "sent set show sit sleep speak spend stand start stay stop suppose take taken takes taking "
    "talk tell think thought told touch try trying turn understand use used wait waiting walk "
    "want wanted wanting wants wash watch wear went win wish wonder wondering work worked working "
    "worry write wrote text texted texting message messaging reach",
    /* nouns */
    "address age air answer area arm baby bag bank bed bit body boss box boy brother business car "
    "card case cash chance child children city class client clients clinic color company couple "
    "course cousin credit dad date dates daughter day days deal desk dinner doctor dog door email "
    "eye eyes face fact family father feet fee field finger floor food foot forehead friend "
    "friends front fun game girl god group guy guys hand hands head health heart home hour house "
    "husband idea info information job kid kids kind lady life line lines list lot love lunch "
    "mail man manager mom money month months morning mother mouth name names neck news night nose "
    "note number office order pain paper parent parents part party people person phone photo "
    "picture place point price problem question questions reason room school sense side sister "
    "son spot spots staff state story street student stuff sun system table team thing things "
    "time times today top town treatment treatments trip type visit voice wall water way week "
    "weeks weekend wife woman word words world year years boyfriend girlfriend partner hubby "
    "mum mama wedding birthday vacation trip party event husbands kids",
    /* adjectives and adverbs */
    "able afraid alright amazing available awesome bad beautiful big busy cheap clear cold cool "
    "correct crazy cute dark dead dear deep different difficult early easy empty entire exact "
    "excited expensive extra fair fast final fine free fresh full funny glad good great green "
    "happy hard healthy heavy high hot huge important interested large last late little local "
    "long loud low lucky main major nervous new next nice normal okay old other perfect personal "
    "pink poor possible pretty private quick quiet real recent red regular rich right rough round "
    "sad safe scared short sick simple single slow small smart soft sore sorry special strange "
    "strong stupid sure sweet tall terrible thick thin tired total tough true ugly upset usual "
    "warm weird white whole wide wild worried worse worst young actually basically certainly "
    "definitely especially exactly finally hopefully honestly later maybe nearly probably quickly "
    "recently seriously simply sometime super totally usually already lol omg haha btw idk lmk "
    "tbh nvm np ty thx pls butt dial dialed pocket oops whoops accident accidentally",
    /* near neighbours of catalog words that must never be read as typos of them */
    "feel peek peer peep pees peed pele heel reel keel later layer latter loser lager lacer lacey "
    "laster checks cheeky volume volumes filled filter filters fuller fillet fillers lies lids "
    "lisp laps lops lisps flip flips boots bots books facts social racial needing kneeling "
    "feeling micro consultant consultants consulting collage college induction freezing fat "
    "removal hair wrinkle wrinkles relax relaxer lines crows feet baby lip lips cheek cheeks "
    "injection injections injector filler peeling skin sculpt",
    /* numbers and ordinals */
    "one two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty "
    "thirty forty fifty hundred half quarter first second third fourth fifth sixth last",
    NULL
};

/* Keywords of dates, times and intents: a token one or two edits away from
 * one of these (and no word itself) is read as it. Five letters or more. */
static const char *const keywords[] = {
    "appointment", "appointments", "available", "availability", "schedule", "reschedule",
    "cancel", "tomorrow", "tonight", "morning", "afternoon", "evening", "weekend", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "august", "september", "october", "november", "december", "please",
    "thanks", "thank", "price", "prices", "pricing", "painful", "nervous", "expensive",
    "interested", "possible", "openings", "opening", "anything", "anytime", "someone", "person",
    "number", "question", "emergency", "swollen", "swelling", "pregnant", "breastfeeding",
    "medication", "location", "address", "parking", "policy", "deposit", "refund", "earliest",
    "soonest", "latest", "hello", "unsubscribe", "afford", "discount", "specials", "human",
    "receptionist", "minutes", "between", "around", "before", "after", "appreciate", "actually",
    "definitely", "absolutely", "perfect", "awesome", "sounds", "works", "instead", "today",
    NULL
};

/* Slang and short forms, "written canonical" pairs. */
static const char *const slang[][2] = {
    { "tmrw", "tomorrow" }, { "tmr", "tomorrow" }, { "tmrow", "tomorrow" }, { "tmro", "tomorrow" },
    { "tmw", "tomorrow" }, { "tmmrw", "tomorrow" }, { "tomo", "tomorrow" }, { "tomoz", "tomorrow" },
    { "tomm", "tomorrow" }, { "2moro", "tomorrow" }, { "2morrow", "tomorrow" }, { "2mrw", "tomorrow" },
    { "2morow", "tomorrow" }, { "tmrrw", "tomorrow" }, { "tommorow", "tomorrow" },
    { "tommorrow", "tomorrow" }, { "tomorow", "tomorrow" }, { "2day", "today" }, { "tday", "today" },
    { "tdy", "today" }, { "2nite", "tonight" }, { "tonite", "tonight" }, { "tnite", "tonight" },
    { "2night", "tonight" }, { "u", "you" }, { "ur", "your" }, { "r", "are" },
    { "pls", "please" }, { "plz", "please" }, { "plez", "please" }, { "pleez", "please" },
    { "pleasee", "please" }, { "thx", "thanks" }, { "thnx", "thanks" }, { "thanx", "thanks" },
    { "tx", "thanks" }, { "ty", "thanks" }, { "tysm", "thanks" }, { "thks", "thanks" },
    { "thnks", "thanks" }, { "tyvm", "thanks" }, { "thankyou", "thanks" }, { "appt", "appointment" },
    { "appts", "appointments" }, { "apt", "appointment" }, { "avail", "available" },
    { "availible", "available" }, { "b4", "before" }, { "aftr", "after" }, { "wk", "week" },
    { "wks", "weeks" }, { "nxt", "next" }, { "hrs", "hours" }, { "hr", "hour" }, { "mins", "minutes" },
    { "min", "minutes" }, { "wanna", "want" }, { "gonna", "going" }, { "gotta", "got" },
    { "kinda", "kind" }, { "cuz", "because" }, { "bc", "because" }, { "coz", "because" },
    { "okk", "ok" }, { "okie", "ok" }, { "okey", "ok" }, { "okay", "ok" }, { "k", "ok" }, { "kk", "ok" },
    { "okkk", "ok" }, { "yeah", "yes" }, { "yea", "yes" }, { "yep", "yes" }, { "yup", "yes" },
    { "yah", "yes" }, { "ye", "yes" }, { "yas", "yes" }, { "yass", "yes" }, { "yess", "yes" },
    { "yesss", "yes" }, { "yesh", "yes" }, { "nope", "no" }, { "nah", "no" }, { "naw", "no" },
    { "noo", "no" }, { "cx", "cancel" }, { "canx", "cancel" }, { "cncl", "cancel" },
    { "resched", "reschedule" }, { "thurs", "thursday" }, { "thur", "thursday" }, { "thu", "thursday" },
    { "thr", "thursday" }, { "tues", "tuesday" }, { "tue", "tuesday" }, { "weds", "wednesday" },
    { "fri", "friday" }, { "mon", "monday" }, { "hiii", "hi" }, { "hii", "hi" }, { "heyy", "hey" },
    { "heyyy", "hey" }, { "helo", "hello" }, { "hellooo", "hello" }, { "pic", "picture" },
    { "rn", "now" }, { "asap", "asap" }, { "msg", "message" }, { "txt", "text" },
    { "num", "number" }, { "ppl", "people" }, { "abt", "about" }, { "w", "with" },
    { "prob", "probably" }, { "def", "definitely" }, { "obv", "obviously" }, { "sry", "sorry" },
    { "srry", "sorry" }, { "sory", "sorry" }, { "bday", "birthday" }, { "nite", "night" },
    { "arvo", "afternoon" }, { "noonish", "noon" }, { "oclock", "oclock" },
    { "lemme", "let" }, { "gimme", "give" }, { "dunno", "idk" }, { "wat", "what" }, { "wut", "what" },
    { "wen", "when" }, { "tho", "though" }, { "thru", "through" }, { "til", "till" },
    { "till", "till" }, { "untill", "until" }, { "bf", "boyfriend" }, { "gf", "girlfriend" },
};

#define VOCAB_MAX 4096

#define V_COMMON 0x01 /* an ordinary word */
#define V_WHEN   0x02 /* a word a date or time can start with */
#define V_SLANG  0x04 /* a short form: slang_to is its word */

struct vword {
    const char *w;
    const char *slang_to;
    uint8_t len;
    uint8_t flags; /* V_* */
};

static struct vword vocab[VOCAB_MAX];
static uint8_t keyword_len[sizeof keywords / sizeof keywords[0]];
static int nvocab;
static int init_rc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int vcmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    if (c)
        return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static int vword_cmp(const void *pa, const void *pb)
{
    const struct vword *a = pa, *b = pb;
    return vcmp(a->w, a->len, b->w, b->len);
}

static void vocab_add(const char *w, size_t n, uint8_t flags, const char *slang_to)
{
    if (n == 0 || n > 255)
        return;
    if (nvocab >= VOCAB_MAX) {
        init_rc = NLU_E_FULL;
        return;
    }
    vocab[nvocab].w = w;
    vocab[nvocab].len = (uint8_t)n;
    vocab[nvocab].flags = flags;
    vocab[nvocab].slang_to = slang_to;
    nvocab++;
}

/* Adds every space-separated word of a list. */
static void vocab_add_list(const char *s, uint8_t flags)
{
    while (*s) {
        while (*s == ' ')
            s++;
        const char *b = s;
        while (*s && *s != ' ')
            s++;
        vocab_add(b, (size_t)(s - b), flags, NULL);
    }
}

static void add_pattern_word(const char *w, size_t n) { vocab_add(w, n, 0, NULL); }
static void add_when_word(const char *w, size_t n) { vocab_add(w, n, V_WHEN, NULL); }

static void lexicon_build(void)
{
    for (int i = 0; common_words[i]; i++)
        vocab_add_list(common_words[i], V_COMMON);
    for (int i = 0; keywords[i]; i++) {
        keyword_len[i] = (uint8_t)strlen(keywords[i]);
        vocab_add(keywords[i], keyword_len[i], V_COMMON, NULL);
    }
    for (size_t i = 0; i < sizeof slang / sizeof slang[0]; i++) {
        vocab_add(slang[i][1], strlen(slang[i][1]), V_COMMON, NULL);
        vocab_add(slang[i][0], strlen(slang[i][0]), V_SLANG, slang[i][1]);
    }
    nlu_when_add_words(add_when_word);
    nlu_intent_add_words(add_pattern_word);
    qsort(vocab, (size_t)nvocab, sizeof vocab[0], vword_cmp);
    int o = 0;
    for (int i = 0; i < nvocab; i++) {
        if (o > 0 && vcmp(vocab[o - 1].w, vocab[o - 1].len, vocab[i].w, vocab[i].len) == 0) {
            vocab[o - 1].flags |= vocab[i].flags;
            if (vocab[i].slang_to && vocab[i].slang_to != vocab[i].w)
                vocab[o - 1].slang_to = vocab[i].slang_to;
            continue;
        }
        vocab[o++] = vocab[i];
    }
    nvocab = o;
    if (init_rc == 0)
        init_rc = nlu_intent_compile();
}

int nlu_lexicon_init(void)
{
    pthread_once(&once, lexicon_build);
    return init_rc;
}

int nlu_vocab_find(const char *w, size_t n)
{
    int lo = 0, hi = nvocab - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = vcmp(vocab[mid].w, vocab[mid].len, w, n);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

const char *nlu_vocab_word(int id) { return id >= 0 && id < nvocab ? vocab[id].w : ""; }

bool nlu_word_known(const char *w, size_t n) { return nlu_vocab_find(w, n) >= 0; }

const char *nlu_slang(const char *w, size_t n)
{
    int id = nlu_vocab_find(w, n);
    if (id < 0 || !(vocab[id].flags & V_SLANG))
        return NULL;
    /* a short form that is its own word ("asap", "till") maps to itself */
    return vocab[id].slang_to;
}

bool nlu_vocab_when(int id) { return id >= 0 && id < nvocab && (vocab[id].flags & V_WHEN); }

int nlu_vocab_count(void) { return nvocab; }

static bool has_digit(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return true;
    return false;
}

void nlu_lexicon_ids(struct nlu_text *tx)
{
    for (int i = 0; i < tx->n; i++) {
        struct nlu_token *t = &tx->t[i];
        t->id = t->kind == TK_WORD ? (int16_t)nlu_vocab_find(t->w, t->wlen) : -1;
    }
}

void nlu_lexicon_slang(struct nlu_text *tx)
{
    for (int i = 0; i < tx->n; i++) {
        struct nlu_token *t = &tx->t[i];
        const char *s = t->kind == TK_WORD ? nlu_slang(t->raw, t->rawlen) : NULL;
        if (s) {
            t->w = s;
            t->wlen = (uint8_t)strlen(s);
        }
    }
}

void nlu_lexicon_correct(struct nlu_text *tx, bool keep_capitalized)
{
    for (int i = 0; i < tx->n; i++) {
        struct nlu_token *t = &tx->t[i];
        if (t->kind != TK_WORD || t->ent != TE_NONE || t->id >= 0 || t->wlen < 5 ||
            has_digit(t->w, t->wlen) || (keep_capitalized && (t->flags & TF_CAP)))
            continue;
        const char *best = NULL;
        int bestd = 99;
        for (int k = 0; keywords[k]; k++) {
            size_t kl = keyword_len[k];
            int allow = nlu_fuzzy_allowed(kl);
            if (keywords[k][0] != t->w[0] || kl + (size_t)allow < t->wlen ||
                t->wlen + (size_t)allow < kl)
                continue;
            int d = nlu_fuzzy_distance(t->w, t->wlen, keywords[k], kl, allow);
            if (d <= allow && d < bestd) {
                bestd = d;
                best = keywords[k];
            }
        }
        if (best) {
            t->w = best;
            t->wlen = (uint8_t)strlen(best);
            t->id = (int16_t)nlu_vocab_find(t->w, t->wlen);
        }
    }
}
