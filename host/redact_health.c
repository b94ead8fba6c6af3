/*
 * Health-detail redaction. The text is cut into words (folded to lowercase
 * ASCII by textfold, apostrophes dropped); a phrase of the lexicon matches
 * consecutive words joined only by spaces or hyphens, so a clause break or
 * a symbol ends it. At each word the longest matching phrase wins; matched
 * words become a marker, and markers separated only by white space merge.
 *
 * Lexicon entries are strings of words:
 *   "high blood pressure"  the words themselves; the last one may also take
 *                          a plural ending (s, es, y -> ies)
 *   "diabet*"              a word starting with "diabet"
 *   "have |a cold"         context: only the words after '|' are replaced
 *   "allergic to +3"       then 1 to 3 more words (without one it does not
 *                          match), stopping at a clause break, a number or a
 *                          function word ("and", "is", "tomorrow"):
 *                          "allergic to lidocaine, can I get Botox" keeps
 *                          "can I get Botox"
 *   "!chest pain"          urgent: the marker says so
 * Words are kept out on purpose where they are also names or everyday words
 * ("burns" is Dr. Burns, "ill" is "I'll", "rash*" would take Rashida), or
 * cosmetic concerns and treatments a clinic sells ("acne scars", "hair
 * transplant", "redness"); service names never start a phrase.
 */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "textfold.h"

#define WORD_MAX 32

static const char *const LEXICON[] = {
    /* urgent: a provider must see these now */
    "!chest pain", "!chest tightness", "!cant breathe", "!can not breathe", "!cannot breathe",
    "!trouble breathing", "!difficulty breathing", "!hard to breathe", "!short of breath",
    "!shortness of breath", "!throat is swelling", "!throat swelling", "!throat is closing",
    "!throat closing", "!tongue swelling", "!tongue is swelling", "!anaphyla*", "!vision loss",
    "!losing vision", "!lost vision", "!losing my vision", "!lost my vision", "!blurry vision",
    "!blurred vision", "!double vision", "!cant see", "!blanching", "!blanched",
    "!turning white", "!turned white", "!turning blue", "!turned blue", "!turning gray",
    "!turning grey", "!turning purple", "!turned purple", "!dusky", "!mottled", "!necrosis",
    "!vascular occlusion", "!occlusion", "!severe pain", "!extreme pain", "!unbearable pain",
    "!excruciating*", "!fainted", "!fainting", "!passed out", "!seizure", "!slurred speech",
    "!face drooping", "!face is drooping", "!suicidal", "!suicide", "!kill myself",
    "!overdose*", "!high fever", "!coughing up blood", "!vomiting blood", "!heart attack",
    "!vision is blurry", "!vision is blurred", "!vision went blurry", "!vision got blurry",
    "!no puedo respirar", "!vision borrosa", "!dolor de pecho",
    /* conditions */
    "diabet*", "prediabet*", "high blood pressure", "low blood pressure", "blood pressure",
    "hypertension", "hypotension", "heart condition", "heart disease", "heart problem",
    "heart murmur", "pacemaker", "arrhythmia", "afib", "a fib", "cancer", "breast cancer",
    "skin cancer", "colon cancer", "prostate cancer", "ovarian cancer", "lung cancer",
    "cervical cancer", "thyroid cancer", "carcinoma",
    "melanoma", "basal cell", "squamous cell", "tumor", "tumour", "leukemia", "lymphoma", "chemo",
    "chemotherapy", "radiation therapy", "radiation treatment", "lupus", "rheumatoid arthritis",
    "arthritis", "autoimmune", "autoimmune disease", "autoimmune disorder", "multiple sclerosis", "myasthenia gravis", "bells palsy", "palsy",
    "fibromyalgia", "asthma", "asthmatic", "copd", "epilepsy", "epileptic", "kidney disease",
    "kidney failure", "liver disease", "hepatitis", "cirrhosis", "hiv", "herpes", "cold sore",
    "fever blister", "shingles", "std", "sti", "chlamydia", "gonorrhea", "syphilis", "hpv",
    "covid", "covid 19", "coronavirus", "the flu", "flu", "strep", "strep throat", "pneumonia",
    "bronchitis", "sinus infection", "yeast infection", "infect*", "uti", "thyroid",
    "hypothyroid*", "hyperthyroid*", "hashimoto*", "graves disease", "pcos", "endometriosis",
    "menopause", "perimenopause", "hot flash", "anemia", "anemic", "hemophilia",
    "bleeding disorder", "blood clot*", "dvt", "keloid*", "eczema", "psoriasis", "rosacea",
    "dermatitis", "vitiligo", "alopecia", "hyperhidrosis", "migraine", "headache", "ibs",
    "crohns", "colitis", "celiac", "gerd", "acid reflux", "ulcer", "sleep apnea", "obesity",
    "obese", "concussion", "hay fever", "immunocompromised", "organ transplant",
    "kidney transplant", "liver transplant", "heart transplant", "dialysis", "stroke",
    "blood sugar", "cholesterol", "a1c", "blood disorder", "clotting disorder",
    "pinched nerve", "nerve damage", "sunburn", "autism", "autistic", "asperger*",
    "down syndrome", "dementia", "alzheimer*", "parkinson*", "reaction to +3",
    "having a reaction", "having a reaction to +3", "hurts", "hurting", "my |period", "menstrua*",
    "have |a cold", "had |a cold", "got |a cold", "caught |a cold", "with |a cold",
    "surgery", "surgeries", "hysterectomy", "mastectomy", "biopsy", "stitches", "root canal",
    /* mental health */
    "depression", "depressed", "anxiety", "panic attack*", "bipolar", "ptsd", "adhd", "ocd",
    "schizophreni*", "eating disorder", "anorexi*", "bulimi*", "body dysmorphi*", "insomnia",
    /* symptoms */
    "swelling", "swollen", "bruise*", "bruising", "bleeding", "rash", "hives", "itching",
    "itchy", "itches", "fever", "feverish", "numbness", "numb", "tingling", "nausea",
    "nauseous", "vomiting", "throwing up", "threw up", "dizzy", "dizziness", "lightheaded",
    "lump", "lumpy", "bump", "bumpy", "nodule*", "blister*", "pus", "oozing", "discharge",
    "burning", "sore", "soreness", "tender", "tenderness", "pain", "aching", "ache", "cramp",
    "cramping", "droopy", "drooping", "ptosis", "cough", "coughing", "sore throat",
    "runny nose", "congestion", "sick", "fatigue",
    /* pregnancy and breastfeeding */
    "pregnan*", "preggo", "expecting a baby", "trying to conceive", "ttc", "breastfeeding",
    "breast feeding", "breastfed", "im |nursing", "i am |nursing",
    "still |nursing", "currently |nursing", "postpartum", "post partum", "just had a baby",
    "gave birth", "miscarr*", "ivf", "fertility", "c section", "lactat*", "baby bump",
    "weeks along", "months along",
    /* allergies */
    "allergic to +3", "allergy to +3", "allergies to +3", "allergic reaction", "allergic",
    "allergy", "latex allergy", "latex",
    /* what introduces a diagnosis or a treatment */
    "diagnosed with +3", "suffer from +3", "suffering from +3", "suffers from +3",
    "history of +3", "prescribed +3", "prescription for +3", "being treated for +3",
    "on medication for +3", "taking medication for +3", "medication for +3", "meds for +3",
    "medicine for +3",
    /* medications */
    "accutane", "isotretinoin", "absorica", "claravis", "tretinoin", "retin a", "spironolactone",
    "doxycycline", "minocycline", "antibiotic*", "amoxicillin", "penicillin", "sulfa",
    "cephalexin", "keflex", "azithromycin", "z pack", "zpack", "valtrex", "valacyclovir",
    "acyclovir", "prednisone", "steroid*", "cortisone", "blood thinner", "warfarin", "coumadin",
    "eliquis", "xarelto", "plavix", "heparin", "aspirin", "ibuprofen", "advil", "motrin",
    "aleve", "naproxen", "nsaid", "tylenol", "metformin", "insulin", "ozempic", "wegovy",
    "mounjaro", "zepbound", "semaglutide", "tirzepatide", "saxenda", "phentermine",
    "levothyroxine", "synthroid", "lisinopril", "losartan", "amlodipine", "metoprolol",
    "atenolol", "statin", "lipitor", "atorvastatin", "crestor", "birth control",
    "contracepti*", "iud", "hrt", "hormone replacement", "hormone therapy", "estrogen",
    "progesterone", "testosterone", "trt", "antidepressant*", "ssri", "zoloft", "sertraline",
    "prozac", "fluoxetine", "lexapro", "escitalopram", "wellbutrin", "bupropion", "xanax",
    "alprazolam", "klonopin", "ativan", "valium", "adderall", "ritalin", "vyvanse",
    "gabapentin", "lyrica", "oxycodone", "hydrocodone", "percocet", "vicodin", "opioid*",
    "tramadol", "morphine", "methotrexate", "humira", "enbrel", "immunosuppress*", "epipen",
    "inhaler", "albuterol", "antihistamin*", "benadryl", "zyrtec", "claritin", "keppra",
    "lamictal", "depakote", "seroquel", "abilify", "lithium", "cymbalta", "effexor", "paxil",
    "celexa", "trazodone", "ambien", "suboxone", "methadone", "naltrexone", "topamax",
    "sumatriptan", "imitrex",
    /* Spanish and French */
    "embaraz*", "amamantando", "lactancia", "lactando", "dando pecho", "alergic* a +3",
    "alergia a +3", "alergia", "alergic*", "diabetes", "presion alta", "presion baja",
    "tiroides", "depresion", "ansiedad", "dolor de +1", "dolor", "gripa", "hinchazon", "hinchad*", "moreton*",
    "sangrado", "sangrando", "fiebre", "comezon", "picazon", "sarpullido", "mareo*", "maread*",
    "nauseas", "enceinte", "allaite*",
};

/* Words an open-ended phrase ("allergic to +3") stops before. */
static const char *const EXT_STOP[] = {
    "and", "or", "but", "so", "because", "since", "if", "when", "while", "before", "after",
    "until", "till", "during", "can", "could", "would", "will", "should", "shall", "may", "might",
    "must", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "have",
    "has", "had", "i", "im", "ive", "id", "ill", "you", "we", "they", "he", "she", "it", "its",
    "this", "that", "these", "those", "there", "then", "than", "also", "too", "still", "just",
    "only", "ago", "last", "next", "yesterday", "today", "tonight", "tomorrow", "in", "on", "at",
    "for", "with", "from", "to", "by", "about", "as", "please", "pls", "thanks", "thank",
    "appointment", "appt", "booking", "book", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "sat", "sun", "january", "february", "march", "april", "june", "july", "august",
    "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "morning", "afternoon", "evening", "night",
    "week", "weeks", "month", "months", "year", "years", "day", "days", "hour", "hours", "y",
    "o", "pero", "porque", "cuando", "antes", "despues", "puedo", "puede", "es", "esta", "estoy",
    "tengo", "para", "con", "en", "manana", "hoy", NULL,
};

/* Service and product names: no phrase starts at one. */
static const char *const SERVICE[] = {
    "botox", "dysport", "xeomin", "jeuveau", "daxxify", "letybo", "tox", "neurotoxin", "filler",
    "fillers", "juvederm", "restylane", "rha", "versa", "belotero", "radiesse", "sculptra",
    "kybella", "hydrafacial", "microneedling", "morpheus8", "morpheus", "prp", "prf", "facial",
    "facials", "peel", "peels", "dermaplaning", "laser", "lasers", "ipl", "bbl", "photofacial",
    "halo", "moxi", "fraxel", "coolsculpting", "emsculpt", "microblading", NULL,
};

struct word {
    size_t start, end;     /* bytes of the word in the text */
    bool joined;           /* only spaces or hyphens between this word and the next */
    bool digit;            /* starts with a digit */
    char key[WORD_MAX + 1]; /* folded; "" when too long to match anything */
};

struct span {
    size_t first, last; /* word indices */
    bool urgent;
};

static bool in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

size_t redact_health_bound(size_t n)
{
    size_t markers = (n + 1) / (REDACT_MIN_SPAN + 1);
    return n + markers * (sizeof REDACT_MARKER_URGENT - 1 - REDACT_MIN_SPAN);
}

static bool is_marker_at(const char *s, size_t *len)
{
    static const char *const markers[] = { REDACT_MARKER, REDACT_MARKER_URGENT };
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(markers[i]);
        if (strncmp(s, markers[i], n) == 0) {
            *len = n;
            return true;
        }
    }
    return false;
}

/* A gap character that keeps a phrase together. */
static bool joins(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '-' || cp == 0xA0 || cp == 0x2010 || cp == 0x2011;
}

/* Cuts s into words. Returns the count, or -1 when out of memory. */
static long split_words(const char *s, struct word **out)
{
    size_t cap = 16, n = 0, klen = 0, i = 0;
    struct word *w = malloc(cap * sizeof *w);
    bool in_word = false, gap_joins = false, too_long = false;
    if (!w)
        return -1;
    while (s[i]) {
        size_t mlen;
        if (s[i] == '[' && is_marker_at(s + i, &mlen)) {
            in_word = false;
            gap_joins = false; /* nothing joins across a marker */
            i += mlen;
            continue;
        }
        uint32_t cp;
        size_t len = textfold_next(s + i, &cp);
        enum textfold_kind k = textfold_kind(cp);
        if (k == TEXTFOLD_LETTER) {
            if (!in_word) {
                if (n == cap) {
                    struct word *bigger = cap > ((size_t)-1) / 2 / sizeof *w ? NULL
                                                                             : realloc(w, 2 * cap * sizeof *w);
                    if (!bigger) {
                        free(w);
                        return -1;
                    }
                    w = bigger;
                    cap *= 2;
                }
                if (n > 0)
                    w[n - 1].joined = gap_joins;
                w[n] = (struct word){ .start = i, .digit = s[i] >= '0' && s[i] <= '9' };
                n++;
                klen = 0;
                too_long = false;
                in_word = true;
            }
            char f[5];
            size_t fl = textfold_letter(cp, s + i, len, f);
            if (klen + fl > WORD_MAX)
                too_long = true;
            else {
                memcpy(w[n - 1].key + klen, f, fl + 1);
                klen += fl;
            }
            if (too_long)
                w[n - 1].key[0] = '\0';
            w[n - 1].end = i + len;
        } else if (k == TEXTFOLD_JOIN && in_word) {
            /* inside a word: dropped from the key, the word goes on */
        } else {
            if (in_word)
                gap_joins = true;
            in_word = false;
            if (k != TEXTFOLD_SPACE || !joins(cp))
                gap_joins = false;
        }
        i += len;
    }
    if (n > 0)
        w[n - 1].joined = false;
    *out = w;
    return (long)n;
}

/* One word of an entry against a key. */
static bool word_matches(const char *pat, size_t plen, const char *key, bool last)
{
    size_t klen = strlen(key);
    if (klen == 0)
        return false;
    if (plen > 0 && pat[plen - 1] == '*')
        return klen >= plen - 1 && strncmp(key, pat, plen - 1) == 0;
    if (klen == plen)
        return strncmp(key, pat, plen) == 0;
    if (!last || strncmp(key, pat, plen) != 0) {
        /* "allergy" -> "allergies" */
        return last && plen > 1 && pat[plen - 1] == 'y' && klen == plen + 2 &&
               strncmp(key, pat, plen - 1) == 0 && strcmp(key + plen - 1, "ies") == 0;
    }
    return strcmp(key + plen, "s") == 0 || strcmp(key + plen, "es") == 0;
}

/* Tries entry at word i. Returns the number of words the entry itself
 * matched (0: no match) and the span to replace. */
static size_t match_entry(const char *entry, const struct word *w, size_t n, size_t i,
                          struct span *sp)
{
    const char *e = entry;
    size_t j = i, first = i, ext = 0;
    sp->urgent = false;
    if (*e == '!') {
        sp->urgent = true;
        e++;
    }
    while (*e) {
        const char *end = strchr(e, ' ');
        size_t len = end ? (size_t)(end - e) : strlen(e);
        if (*e == '|') { /* the replaced words start here */
            first = j;
            e++;
            len--;
        }
        if (*e == '+') {
            ext = (size_t)(e[1] - '0');
        } else {
            if (j >= n || (j > i && !w[j - 1].joined))
                return 0;
            bool last = !end || end[1] == '+';
            if (!word_matches(e, len, w[j].key, last))
                return 0;
            j++;
        }
        e = end ? end + 1 : e + len;
    }
    size_t matched = j - i, last = j - 1;
    for (size_t k = 0; k < ext && j < n && w[j - 1].joined; k++, j++) {
        if (w[j].digit || !w[j].key[0] || in(w[j].key, EXT_STOP))
            break;
        last = j;
    }
    if (ext > 0 && last == i + matched - 1)
        return 0; /* an open-ended phrase with nothing after it */
    sp->first = first;
    sp->last = last;
    return first <= last ? matched : 0;
}

/* Finds the spans to replace, left to right, longest entry first. */
static long find_spans(const struct word *w, size_t n, struct span **out)
{
    size_t cap = 4, count = 0;
    struct span *sp = malloc(cap * sizeof *sp);
    if (!sp)
        return -1;
    for (size_t i = 0; i < n;) {
        struct span best = { 0 }, cur;
        size_t best_len = 0;
        if (w[i].key[0] && !in(w[i].key, SERVICE)) {
            for (size_t e = 0; e < sizeof LEXICON / sizeof LEXICON[0]; e++) {
                const char *entry = LEXICON[e] + (LEXICON[e][0] == '!');
                if (entry[0] != w[i].key[0])
                    continue;
                size_t len = match_entry(LEXICON[e], w, n, i, &cur);
                if (len > best_len) {
                    best_len = len;
                    best = cur;
                }
            }
        }
        if (best_len == 0 || w[best.last].end - w[best.first].start < REDACT_MIN_SPAN) {
            i++;
            continue;
        }
        if (count == cap) {
            struct span *bigger = realloc(sp, 2 * cap * sizeof *sp);
            if (!bigger) {
                free(sp);
                return -1;
            }
            sp = bigger;
            cap *= 2;
        }
        sp[count++] = best;
        i = best.last + 1;
    }
    *out = sp;
    return (long)count;
}

static bool only_space(const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

char *redact_health(const char *s, int *markers, bool *urgent)
{
    struct word *w = NULL;
    struct span *sp = NULL;
    char *out = NULL;
    int count = 0;
    bool any_urgent = false;

    if (!s)
        s = "";
    size_t slen = strlen(s);
    long nw = split_words(s, &w);
    long ns = nw < 0 ? -1 : find_spans(w, (size_t)nw, &sp);
    if (ns < 0 || !(out = malloc(redact_health_bound(slen) + 1)))
        goto done;

    size_t o = 0, from = 0;
    for (long k = 0; k < ns;) {
        /* Merge the spans that only white space separates. */
        size_t start = w[sp[k].first].start, end = w[sp[k].last].end;
        bool urg = sp[k].urgent;
        for (k++; k < ns && only_space(s, end, w[sp[k].first].start); k++) {
            end = w[sp[k].last].end;
            urg = urg || sp[k].urgent;
        }
        memcpy(out + o, s + from, start - from);
        o += start - from;
        const char *m = urg ? REDACT_MARKER_URGENT : REDACT_MARKER;
        memcpy(out + o, m, strlen(m));
        o += strlen(m);
        from = end;
        count++;
        any_urgent = any_urgent || urg;
    }
    memcpy(out + o, s + from, slen - from);
    o += slen - from;
    out[o] = '\0';
done:
    free(w);
    free(sp);
    if (markers)
        *markers = out ? count : 0;
    if (urgent)
        *urgent = out && any_urgent;
    return out;
}

char *redact_message(const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return NULL;
    redact_card_numbers(copy);
    char *out = redact_health(copy, NULL, NULL);
    free(copy);
    return out;
}

int redact_json_health(cJSON *node)
{
    int total = 0;
    if (!node)
        return 0;
    if (cJSON_IsString(node) && node->valuestring) {
        int m = 0;
        char *red = redact_health(node->valuestring, &m, NULL);
        if (!red)
            return -1;
        if (m > 0 && !cJSON_SetValuestring(node, red)) {
            free(red);
            return -1;
        }
        free(red);
        return m;
    }
    if (cJSON_IsArray(node) || cJSON_IsObject(node))
        for (cJSON *child = node->child; child; child = child->next) {
            int m = redact_json_health(child);
            if (m < 0)
                return -1;
            total += m;
        }
    return total;
}
