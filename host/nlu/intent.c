/*
 * Intents. Each intent has word patterns with a weight; a message's score
 * for an intent is its best matching pattern, so one message can carry
 * several ("Yes, new client, want Botox" is yes and book). Patterns are
 * written over canonical words (slang mapped, apostrophes dropped) with a
 * few elements besides words: "a|b" alternatives, "?a" optional, "*" a gap
 * of up to three tokens inside a sentence, "^" and "$" the message's ends,
 * and <svc>, <prov>, <when>, <num>, <money> for tokens earlier stages
 * claimed. A negative pattern caps an intent ("cancellation policy" is no
 * cancel, "how much does it hurt" no price question). Some patterns set
 * message flags (correction, new client) or policy topics instead. They are
 * compiled once to vocabulary ids, so matching compares integers.
 *
 * After the patterns, a few rules read the entities: a service and a date
 * make a booking request, an urgent symptom is also a medical question, and
 * a choice among offered slots ("the first one", "the latest you have",
 * "I'll take it", "3:30 works") is read against the context's offers.
 */
#include "internal.h"

#include <string.h>

#define NONE_INTENT 255
#define EL_MAX 12
#define ALT_MAX 24
#define GAP_MAX 3
#define PATS_MAX 512
#define VOCAB_BITS 4096

enum el_kind { E_WORDS = 0, E_SVC, E_PROV, E_WHEN, E_NUM, E_MONEY, E_GAP };

struct el {
    uint8_t kind, opt, n;
    int16_t ids[ALT_MAX];
};

struct cpat {
    uint8_t intent, weight, neg, topic;
    uint32_t flag;
    bool start, end;
    uint8_t nel;
    struct el el[EL_MAX];
};

/* What a message holds, to skip patterns that cannot match it. */
struct present {
    uint64_t ids[VOCAB_BITS / 64];
    bool svc, prov, when, num, money;
};

struct src {
    uint8_t intent, weight, neg, topic;
    uint32_t flag;
    const char *p;
};

#define P(i, w, p) { NLU_INTENT_##i, w, 0, 0, 0, p }
#define PF(i, w, f, p) { NLU_INTENT_##i, w, 0, 0, f, p }
#define PT(i, w, t, p) { NLU_INTENT_##i, w, 0, t, 0, p }
#define NEG(i, cap, p) { NLU_INTENT_##i, cap, 1, 0, 0, p }
#define FL(f, p) { NONE_INTENT, 0, 0, 0, f, p }

static const struct src sources[] = {
    /* booking */
    P(BOOK, 90, "book|booking|reserve"),
    P(BOOK, 88, "schedule|scheduling ?a|an|my|me"),
    P(BOOK, 85, "make|set|get|want|need * appointment|appointments"),
    P(BOOK, 85, "id|i|we|wed * like|love * <svc>"),
    P(BOOK, 80, "id|i|we|wed * like|love * appointment|come|book|get|schedule"),
    P(BOOK, 82, "want|need|interested|looking|thinking * <svc>"),
    P(BOOK, 85, "can|could|may|do i|we * get|do|have|book|schedule|try * <svc>"),
    P(BOOK, 80, "can|could|may i|we * come|get in|by"),
    P(BOOK, 75, "come|get in|by"),
    P(BOOK, 78, "can|could|may i|we * come|stop|swing"),
    P(BOOK, 80, "make it|that * <svc>"),
    P(BOOK, 80, "change|switch * to * <svc>"),
    PF(BOOK, 80, NLU_F_RETURNING, "touch up|ups"),
    PF(BOOK, 80, NLU_F_RETURNING, "touched|touchup|touchups ?up"),
    P(BOOK, 80, "can|could|does|will <prov> * do|see|take|fit * <svc>|me|it"),
    P(BOOK, 75, "sign me up"),
    P(BOOK, 75, "lets do|book it|this|that"),
    P(BOOK, 70, "appointment for|on|at|with"),
    P(BOOK, 70, "<svc> <when>"),
    NEG(BOOK, 20, "dont|not|never * want|need|book * <svc>|appointment"),
    NEG(BOOK, 30, "already * booked|book|have|scheduled"),

    /* prices */
    P(PRICE, 95, "how much"),
    P(PRICE, 90, "price|prices|pricing|priced|cost|costs|costing|rate|rates|charge|charges|fee|fees|quote"),
    P(PRICE, 85, "per unit|syringe|area|session|treatment"),
    P(PRICE, 75, "is it * expensive|pricey"),
    P(PRICE, 75, "its * expensive|pricey"),
    P(PRICE, 60, "<money>"),
    P(PRICE, 70, "special|specials|discount|discounts|deal|deals|promo|promos|promotion|coupon|sale"),
    NEG(PRICE, 20, "how much * hurt|hurts|pain|painful|downtime|swelling|bruising|longer|time"),
    NEG(PRICE, 30, "cancellation|late|noshow fee|fees"),

    /* availability */
    P(AVAILABILITY, 90, "do|does|would you|u * have * openings|opening|availability|anything|spots|spot|slots|slot|appointments|room|space|time|times"),
    P(AVAILABILITY, 88, "any openings|opening|availability|appointments|spots|spot|slots|room|space"),
    P(AVAILABILITY, 85, "anything open|available|free"),
    P(AVAILABILITY, 85, "available|availability|availabilities|openings"),
    P(AVAILABILITY, 80, "any chance"),
    P(AVAILABILITY, 85, "when * you|u * available|free|open|have"),
    P(AVAILABILITY, 80, "when can|could i|we"),
    P(AVAILABILITY, 80, "what times|time|days|day * you|u|available|have|open|work"),
    P(AVAILABILITY, 85, "soonest|earliest|asap|latest"),
    P(AVAILABILITY, 85, "first|next available|opening"),
    P(AVAILABILITY, 78, "fit|squeeze|get me in"),
    P(AVAILABILITY, 75, "walk|walkin|walkins ?in|ins"),
    P(AVAILABILITY, 70, "is|are <when> * open|available|free|ok|possible"),
    P(AVAILABILITY, 70, "what|how about <when>"),

    /* hours */
    P(HOURS, 92, "your|business|opening|office|clinic|store|spa hours"),
    P(HOURS, 85, "what|when * hours"),
    P(HOURS, 85, "hours on|today|tomorrow|this|<when>"),
    P(HOURS, 90, "are|r you|u|yall * open|closed"),
    P(HOURS, 90, "what time * you|u * open|close|opening|closing"),
    P(HOURS, 85, "when * you|u * open|close"),
    P(HOURS, 85, "closing|opening time"),
    P(HOURS, 80, "how late * you|u|open"),
    P(HOURS, 80, "open|closed <when>"),
    P(HOURS, 75, "^ open|closed $"),

    /* location */
    P(LOCATION, 95, "address|located|location|directions"),
    P(LOCATION, 90, "where * you|u|the|your * are|located|clinic|office|spa|place|at"),
    P(LOCATION, 85, "where is|are it|you|u|this|yall"),
    PT(LOCATION, 90, NLU_TOPIC_PARKING, "parking"),
    PT(LOCATION, 88, NLU_TOPIC_PARKING, "where * park"),
    PT(LOCATION, 80, NLU_TOPIC_PARKING, "can|do|should i park"),
    P(LOCATION, 80, "how do i get there"),
    P(LOCATION, 75, "what city|street|building|floor|suite"),

    /* policies */
    P(POLICY, 90, "policy|policies"),
    PT(POLICY, 85, NLU_TOPIC_CANCELLATION, "cancellation|cancelation|cancellations"),
    PT(POLICY, 80, NLU_TOPIC_CANCELLATION, "if i * cancel"),
    PT(POLICY, 85, NLU_TOPIC_DEPOSIT, "deposit|deposits"),
    PT(POLICY, 85, NLU_TOPIC_REFUND, "refund|refunds|refundable|nonrefundable"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "running|run late"),
    PT(POLICY, 75, NLU_TOPIC_LATE, "ill|be * minutes|min|mins ?late"),
    PT(POLICY, 75, NLU_TOPIC_LATE, "be|im|ill|ive * late"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "if im|ill * late"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "if i am|will * late"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "no show|shows"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "noshow|noshows"),
    PT(POLICY, 80, NLU_TOPIC_LATE, "late fee"),
    PT(POLICY, 75, NLU_TOPIC_NUMBING, "numbing|numb ?cream"),

    /* pain and anxiety */
    P(PAIN, 92, "painful|painfull|hurt|hurts|hurting|sting|stings|ouch"),
    P(PAIN, 85, "pain"),
    P(PAIN, 90, "nervous|scared|anxious|anxiety|afraid|terrified|worried|fear|freaked|freaking|scary|nerves"),
    P(PAIN, 85, "needle|needles"),
    PT(PAIN, 85, NLU_TOPIC_NUMBING, "numbing|numb ?cream"),
    P(PAIN, 85, "does|will|is it * hurt|painful"),
    P(PAIN, 75, "pain tolerance|low"),

    /* objections */
    PF(OBJECTION, 90, NLU_F_OBJ_PRICE, "expensive|pricey|pricy|steep|overpriced"),
    PF(OBJECTION, 88, NLU_F_OBJ_PRICE, "too much"),
    PF(OBJECTION, 88, NLU_F_OBJ_PRICE, "too|so|very|pretty|kinda|bit * pricey|expensive|steep"),
    PF(OBJECTION, 85, NLU_F_OBJ_PRICE, "kind|kinda|thats|its|is|pretty|bit|quite * a lot"),
    PF(OBJECTION, 85, NLU_F_OBJ_PRICE, "kind|kinda|thats|its|is|pretty|bit|quite * alot"),
    PF(OBJECTION, 85, NLU_F_OBJ_PRICE, "afford|budget|cheaper|cheapest|cheap"),
    PF(OBJECTION, 85, NLU_F_OBJ_PRICE, "special|specials|discount|discounts|deal|deals|promo|promos|promotion|coupon|sale"),
    PF(OBJECTION, 90, NLU_F_OBJ_THINK, "think about it|that"),
    PF(OBJECTION, 88, NLU_F_OBJ_THINK, "need|let|have|want|gotta * think"),
    PF(OBJECTION, 85, NLU_F_OBJ_THINK, "not sure"),
    PF(OBJECTION, 85, NLU_F_OBJ_THINK, "unsure|undecided|hesitant"),
    PF(OBJECTION, 80, NLU_F_OBJ_THINK, "maybe later"),
    PF(OBJECTION, 80, NLU_F_OBJ_THINK, "another time"),
    PF(OBJECTION, 85, NLU_F_OBJ_THINK, "check|talk|ask * husband|wife|partner|boyfriend|girlfriend|mom|hubby|mum"),
    PF(OBJECTION, 80, NLU_F_OBJ_THINK, "get back to you|u"),
    PF(OBJECTION, 75, NLU_F_OBJ_THINK, "let me check|see|look"),
    NEG(OBJECTION, 20, "not * too * expensive|much|bad"),
    NEG(OBJECTION, 30, "how much"),

    /* reschedule and cancel */
    P(RESCHEDULE, 95, "reschedule|rescheduling|rebook|rebooking"),
    P(RESCHEDULE, 90, "move|change|switch|push|postpone|shift * my|the|our * appointment|<svc>|time|booking|visit|appointments"),
    P(RESCHEDULE, 85, "move|push|postpone it|that|this"),
    P(RESCHEDULE, 90, "appointment|appointments|booking|visit * moved|changed|pushed|switched|rescheduled|postponed"),
    P(RESCHEDULE, 70, "different|another|new time|day|date"),
    P(CANCEL, 95, "cancel|cancelled|canceled|canceling|cancelling"),
    P(CANCEL, 85, "cant|cannot|wont|not make|making|come * it|in"),
    P(CANCEL, 80, "not going to make it"),
    NEG(CANCEL, 20, "cancel|cancellation|cancelation|cancelling policy|policies|fee"),
    NEG(CANCEL, 20, "dont|not|never * cancel"),
    NEG(CANCEL, 25, "if i cancel"),

    /* people */
    P(HUMAN, 95, "real|actual|live person|human|someone|people"),
    P(HUMAN, 95, "talk|speak|chat|text * to|with * someone|somebody|person|human|staff|receptionist|manager|owner|doctor|nurse|provider|anyone|team|people"),
    P(HUMAN, 92, "human|humans"),
    P(HUMAN, 90, "call me"),
    P(HUMAN, 90, "can|could|would|have * someone|somebody * call"),
    P(HUMAN, 85, "receptionist|representative|operator|agent"),
    P(HUMAN, 80, "front desk"),
    P(HUMAN, 70, "are you|u * bot|robot|automated|ai|real|machine|computer"),
    P(HUMAN, 70, "is this * bot|robot|automated|ai|machine|computer"),
    P(WRONG_NUMBER, 95, "wrong number|person|phone"),
    P(WRONG_NUMBER, 85, "who is this"),
    P(WRONG_NUMBER, 85, "whos this"),
    P(WRONG_NUMBER, 80, "didnt|never call|text|message|contact * you|u|this|anyone"),
    P(WRONG_NUMBER, 80, "did not call|text|message|contact * you|u|this|anyone"),
    P(WRONG_NUMBER, 80, "dont know you|who"),
    P(WRONG_NUMBER, 75, "new phone who"),

    /* compliance keywords: flagged only */
    P(OPT_OUT, 98, "^ stop|stopall|unsubscribe|quit|optout|revoke ?please $"),
    P(OPT_OUT, 98, "^ opt out $"),
    P(OPT_OUT, 70, "^ cancel|end $"),
    P(OPT_OUT, 92, "stop texting|messaging|contacting|calling|sending|emailing|txting|messages|texts"),
    P(OPT_OUT, 90, "dont|never * text|message|contact|call|txt me"),
    P(OPT_OUT, 90, "do not * text|message|contact|call|txt me"),
    P(OPT_OUT, 90, "remove me"),
    P(OPT_OUT, 90, "take me off"),
    P(OPT_OUT, 90, "unsubscribe|optout"),
    P(OPT_OUT, 90, "opt me out"),
    P(OPT_OUT, 85, "leave me alone"),
    P(OPT_OUT, 85, "no more texts|messages|text"),
    P(OPT_OUT, 80, "lose my number"),
    P(OPT_OUT, 60, "not interested"),
    P(OPT_IN, 95, "^ start|unstop|subscribe ?please $"),
    P(OPT_IN, 95, "^ opt in $"),
    P(HELP, 95, "^ help|info $"),

    /* health */
    /* what inbound redaction left of a health detail (redact.h's markers) */
    P(MEDICAL, 92, "health info"),
    P(MEDICAL, 92, "pregnant|pregnancy|breastfeeding|nursing|conceive"),
    P(MEDICAL, 88, "breast feeding"),
    P(MEDICAL, 85, "weeks along"),
    P(MEDICAL, 85, "medication|medications|meds|aspirin|ibuprofen|advil|accutane|antibiotics|retinol|retinoids|isotretinoin|thinner|thinners|steroids|prescription"),
    P(MEDICAL, 85, "allergic|allergy|allergies"),
    P(MEDICAL, 80, "side effect|effects"),
    P(MEDICAL, 80, "is it * safe"),
    P(MEDICAL, 80, "its * safe"),
    P(MEDICAL, 80, "safe to|for|while|if"),
    P(MEDICAL, 78, "risk|risks|risky|dangerous|complications"),
    P(MEDICAL, 80, "condition|diabetes|diabetic|autoimmune|lupus|cancer|chemo|herpes|keloid|keloids|rosacea|eczema|psoriasis|epilepsy|pacemaker|surgery"),
    P(MEDICAL, 80, "cold sore|sores"),
    P(MEDICAL, 75, "drink|alcohol|workout|exercise|gym * after|before"),
    P(MEDICAL, 75, "work out * after|before"),
    P(MEDICAL, 75, "is that|this|it normal"),
    P(MEDICAL, 75, "will|would|could|does|do i|it * swell|bruise|scar"),
    P(MEDICAL, 70, "swelling|bruising|downtime|recovery|aftercare"),
    P(MEDICAL, 85, "droopy|drooping|droop|droops|uneven|asymmetrical|lopsided|heavy * eyelid|eyelids|eyebrow|eyebrows|brow|brows|smile|lip|lips|eye|eyes|face"),
    P(MEDICAL, 85, "eyelid|eyelids|eyebrow|eyebrows|brow|brows|smile|lip|lips|eye|eyes|face * is|are|looks|feels|seems * droopy|drooping|uneven|asymmetrical|lopsided|heavy"),
    P(MEDICAL, 78, "my * bruise|bruised|bruising|itchy|itching|red|redness|sore|tender|bump|bumps|headache|rash|sensitive"),

    P(URGENT, 96, "urgent health info"),
    P(URGENT, 95, "vision|blurry|blindness|blind|blanching|blanched|necrosis|anaphylaxis|emergency|911|mottled|dusky"),
    P(URGENT, 95, "cant|cannot see"),
    P(URGENT, 95, "can not see"),
    P(URGENT, 95, "double vision"),
    P(URGENT, 95, "cant|cannot|trouble|difficulty|hard breathe|breathing|swallow|swallowing"),
    P(URGENT, 95, "short|shortness of breath"),
    P(URGENT, 92, "chest pain"),
    P(URGENT, 90, "throat * closing|swelling|swollen|tight"),
    P(URGENT, 92, "turning|turned|gone|went|looks|is white|blue|grey|gray|purple|black"),
    P(URGENT, 92, "severe|extreme|unbearable|excruciating|intense|terrible|worst * pain|swelling|headache"),
    P(URGENT, 88, "my|lip|lips|face|cheek|cheeks|eye|eyes|skin|forehead * is|are|feels|looks|got|gotten|has|have|keeps|getting|still * swollen|swelling|hard|lumpy|lump|bumpy|numb|hot|infected|blistering|oozing|throbbing|worse|white|blue|purple|cold|pale"),
    P(URGENT, 85, "my * swollen|lump|lumps|lumpy|blister|blisters|infected|infection|pus|oozing|throbbing"),
    P(URGENT, 85, "i|ive|im ?have|got|am|getting * swelling|lump|lumps|bump|fever|infection|blister|blisters|hives|rash|reaction"),
    P(URGENT, 85, "allergic reaction"),
    P(URGENT, 80, "getting worse|spreading"),
    NEG(URGENT, 30, "will|would|could|should * swell|bruise|swelling|bruising|swollen|lumpy"),
    NEG(URGENT, 30, "how long * swell|swelling|bruising|swollen"),
    NEG(URGENT, 30, "normal to * swell|bruise|be"),

    /* small talk */
    P(GREETING, 90, "^ hi|hello|hey|hiya|howdy|yo|heya|greetings|sup|hay|helloo|hellooo"),
    P(GREETING, 88, "^ good morning|afternoon|evening|day"),
    P(GREETING, 70, "^ ok|so|um|oh hi|hello|hey"),
    P(THANKS, 95, "thanks|appreciate|appreciated|cheers|grateful"),
    P(THANKS, 95, "thank you|u"),
    P(THANKS, 70, "no problem|worries"),
    NEG(THANKS, 20, "no thanks|thank"),
    P(YES, 92, "^ yes|sure|ok|absolutely|definitely|correct|alright|perfect|great|awesome|ya|yah|yeppers|affirmative|certainly|okay"),
    P(YES, 88, "^ sounds good|great|perfect|fine"),
    P(YES, 88, "^ of course"),
    P(YES, 85, "^ please do"),
    P(YES, 85, "^ go ahead|for it"),
    P(YES, 85, "^ for sure"),
    P(YES, 85, "that|this|it * works|good|perfect|fine|great"),
    P(YES, 85, "works for me|us"),
    P(YES, 80, "is fine|good|perfect|great"),
    P(YES, 80, "sounds good|great|perfect|fine"),
    P(YES, 80, "lets do it|that"),
    P(YES, 75, "yes"),
    NEG(YES, 20, "not sure|really|yet"),
    NEG(YES, 20, "^ no"),
    NEG(YES, 25, "doesnt|dont|wont|not work|works"),
    P(NO, 92, "^ no|nah|nope|nevermind|nvm"),
    P(NO, 90, "^ not really|now|interested"),
    P(NO, 90, "^ never mind"),
    P(NO, 85, "no thanks|thank"),
    P(NO, 80, "doesnt|dont|wont|not work|works"),
    P(NO, 75, "none of those|them|these"),
    NEG(NO, 20, "^ no later|earlier than"),
    NEG(NO, 20, "^ no problem|worries|rush"),

    /* about the services */
    P(SERVICE_INFO, 90, "do|does you|u|yall|they * do|offer|carry|provide|sell * <svc>"),
    P(SERVICE_INFO, 85, "what is|are * <svc>"),
    P(SERVICE_INFO, 85, "whats * <svc>"),
    P(SERVICE_INFO, 85, "how long * <svc>|last|lasts|take|takes"),
    P(SERVICE_INFO, 80, "tell me about|more"),
    P(SERVICE_INFO, 80, "info|information|details on|about|for"),
    P(SERVICE_INFO, 80, "difference between"),
    P(SERVICE_INFO, 75, "how many units"),
    P(SERVICE_INFO, 70, "<svc> vs|versus|or <svc>"),

    /* payment */
    P(PAYMENT, 90, "pay|paying|payment|payments|card|credit|debit|venmo|zelle|cashapp|paypal|cash|financing|cherry|carecredit|afterpay|klarna|insurance|hsa|fsa"),
    P(PAYMENT, 85, "apple|google pay"),
    NEG(PAYMENT, 20, "pay attention"),

    /* flags */
    FL(NLU_F_CORRECTION, "actually|instead|rather|oops|correction"),
    FL(NLU_F_CORRECTION, "scratch that"),
    FL(NLU_F_CORRECTION, "i meant|mean"),
    FL(NLU_F_CORRECTION, "meant to say"),
    FL(NLU_F_CORRECTION, "changed my mind"),
    FL(NLU_F_CORRECTION, "make it a|an|<svc>|<when>"),
    FL(NLU_F_CORRECTION, "change|switch it|that to"),
    FL(NLU_F_CORRECTION, "^ wait"),
    FL(NLU_F_NEW_CLIENT, "new client|patient|customer|here"),
    FL(NLU_F_NEW_CLIENT, "first time|visit"),
    FL(NLU_F_NEW_CLIENT, "never been|come|had"),
    FL(NLU_F_NEW_CLIENT, "not a * client|patient"),
    FL(NLU_F_RETURNING, "existing|returning|current|regular client|patient|customer"),
    FL(NLU_F_RETURNING, "been * before|there"),
    FL(NLU_F_RETURNING, "came|come * before"),
    FL(NLU_F_RETURNING, "last time"),
    FL(NLU_F_RETURNING, "my usual|last|regular"),
    FL(NLU_F_NEGATED, "dont|not|never|cant|cannot|wont|doesnt|isnt|didnt|no"),
    FL(NLU_F_REFUND, "refund|refunded|reimburse"),
    FL(NLU_F_REFUND, "money|deposit back"),
    FL(NLU_F_REFUND, "return|give back * money|deposit"),
    FL(NLU_F_SAME_TIME, "same time"),
    FL(NLU_F_SAME_DAY, "same day|visit|appointment"),
    FL(NLU_F_SAME_DAY, "back to back"),
    FL(NLU_F_SAME_DAY, "together"),
};

static struct cpat pats[PATS_MAX];
static int npats;

static bool special(const char *w, size_t n)
{
    return (n == 1 && (*w == '*' || *w == '^' || *w == '$')) || (n > 0 && *w == '<');
}

void nlu_intent_add_words(void (*add)(const char *w, size_t n))
{
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        const char *p = sources[s].p;
        while (*p) {
            while (*p == ' ')
                p++;
            const char *b = p;
            while (*p && *p != ' ')
                p++;
            const char *e = p;
            if (b < e && *b == '?')
                b++;
            if (special(b, (size_t)(e - b)))
                continue;
            while (b < e) {
                const char *bar = memchr(b, '|', (size_t)(e - b));
                const char *we = bar ? bar : e;
                if (we > b)
                    add(b, (size_t)(we - b));
                b = bar ? bar + 1 : e;
            }
        }
    }
}

static int compile_one(const struct src *s, struct cpat *c)
{
    const char *p = s->p;
    memset(c, 0, sizeof *c);
    c->intent = s->intent;
    c->weight = s->weight;
    c->neg = s->neg;
    c->topic = s->topic;
    c->flag = s->flag;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *b = p;
        while (*p && *p != ' ')
            p++;
        const char *e = p;
        size_t n = (size_t)(e - b);
        if (n == 1 && *b == '^') {
            c->start = true;
            continue;
        }
        if (n == 1 && *b == '$') {
            c->end = true;
            continue;
        }
        if (c->nel >= EL_MAX)
            return NLU_E_FULL;
        struct el *el = &c->el[c->nel++];
        if (*b == '?') {
            el->opt = 1;
            b++;
            n--;
        }
        if (n == 1 && *b == '*') {
            el->kind = E_GAP;
        } else if (n == 5 && !memcmp(b, "<svc>", 5)) {
            el->kind = E_SVC;
        } else if (n == 6 && !memcmp(b, "<prov>", 6)) {
            el->kind = E_PROV;
        } else if (n == 6 && !memcmp(b, "<when>", 6)) {
            el->kind = E_WHEN;
        } else if (n == 5 && !memcmp(b, "<num>", 5)) {
            el->kind = E_NUM;
        } else if (n == 7 && !memcmp(b, "<money>", 7)) {
            el->kind = E_MONEY;
        } else {
            el->kind = E_WORDS;
            /* "<svc>" may stand among word alternatives: "a|an|<svc>" */
            while (b < e) {
                const char *bar = memchr(b, '|', (size_t)(e - b));
                const char *we = bar ? bar : e;
                if (el->n >= ALT_MAX)
                    return NLU_E_FULL;
                if ((size_t)(we - b) == 5 && !memcmp(b, "<svc>", 5))
                    el->ids[el->n++] = -2;
                else if ((size_t)(we - b) == 6 && !memcmp(b, "<when>", 6))
                    el->ids[el->n++] = -3;
                else
                    el->ids[el->n++] = (int16_t)nlu_vocab_find(b, (size_t)(we - b));
                b = bar ? bar + 1 : e;
            }
        }
    }
    return 0;
}

int nlu_intent_compile(void)
{
    size_t n = sizeof sources / sizeof sources[0];
    if (n > PATS_MAX || nlu_vocab_count() > VOCAB_BITS)
        return NLU_E_FULL;
    for (size_t i = 0; i < n; i++) {
        int rc = compile_one(&sources[i], &pats[i]);
        if (rc)
            return rc;
    }
    npats = (int)n;
    return 0;
}

static bool el_match(const struct el *e, const struct nlu_token *t)
{
    switch (e->kind) {
    case E_SVC:
        return t->ent == TE_SERVICE;
    case E_PROV:
        return t->ent == TE_PROVIDER;
    case E_WHEN:
        return t->ent == TE_WHEN;
    case E_NUM:
        return t->kind == TK_NUM;
    case E_MONEY:
        return t->kind == TK_MONEY;
    case E_WORDS:
        for (int k = 0; k < e->n; k++) {
            if (e->ids[k] == -2 && t->ent == TE_SERVICE)
                return true;
            if (e->ids[k] == -3 && t->ent == TE_WHEN)
                return true;
            if (e->ids[k] >= 0 && e->ids[k] == t->id && t->kind == TK_WORD)
                return true;
        }
        return false;
    default:
        return false;
    }
}

static bool match_from(const struct cpat *p, int ei, const struct nlu_text *tx, int ti)
{
    if (ei == p->nel)
        return !p->end || ti == tx->n;
    const struct el *e = &p->el[ei];
    if (e->kind == E_GAP) {
        for (int g = 0; g <= GAP_MAX && ti + g <= tx->n; g++) {
            if (g > 0 && (tx->t[ti + g - 1].flags & (TF_STOP | TF_QMARK)))
                break;
            if (match_from(p, ei + 1, tx, ti + g))
                return true;
        }
        return false;
    }
    if (ti < tx->n && el_match(e, &tx->t[ti]) && match_from(p, ei + 1, tx, ti + 1))
        return true;
    return e->opt && match_from(p, ei + 1, tx, ti);
}

static bool id_present(const struct present *pr, int id)
{
    return id >= 0 && id < VOCAB_BITS && (pr->ids[id / 64] >> (id % 64)) & 1u;
}

static void find_present(const struct nlu_text *tx, struct present *pr)
{
    memset(pr, 0, sizeof *pr);
    for (int i = 0; i < tx->n; i++) {
        const struct nlu_token *t = &tx->t[i];
        if (t->kind == TK_WORD && t->id >= 0 && t->id < VOCAB_BITS)
            pr->ids[t->id / 64] |= UINT64_C(1) << (t->id % 64);
        pr->svc = pr->svc || t->ent == TE_SERVICE;
        pr->prov = pr->prov || t->ent == TE_PROVIDER;
        pr->when = pr->when || t->ent == TE_WHEN;
        pr->num = pr->num || t->kind == TK_NUM;
        pr->money = pr->money || t->kind == TK_MONEY;
    }
}

/* Whether every element the pattern cannot do without has something in the
 * message it could match. */
static bool may_match(const struct cpat *p, const struct present *pr)
{
    for (int e = 0; e < p->nel; e++) {
        const struct el *el = &p->el[e];
        if (el->opt)
            continue;
        switch (el->kind) {
        case E_SVC:
            if (!pr->svc)
                return false;
            break;
        case E_PROV:
            if (!pr->prov)
                return false;
            break;
        case E_WHEN:
            if (!pr->when)
                return false;
            break;
        case E_NUM:
            if (!pr->num)
                return false;
            break;
        case E_MONEY:
            if (!pr->money)
                return false;
            break;
        case E_WORDS: {
            bool any = false;
            for (int k = 0; k < el->n && !any; k++)
                any = (el->ids[k] == -2 && pr->svc) || (el->ids[k] == -3 && pr->when) ||
                      id_present(pr, el->ids[k]);
            if (!any)
                return false;
            break;
        }
        default:
            break;
        }
    }
    return true;
}

static bool pat_matches(const struct cpat *p, const struct nlu_text *tx)
{
    if (p->start)
        return match_from(p, 0, tx, 0);
    for (int i = 0; i < tx->n; i++)
        if (match_from(p, 0, tx, i))
            return true;
    return false;
}

/* ------------------------------------------------------------------ rules */

static void raise(struct nlu_result *r, enum nlu_intent i, int score)
{
    if (score > 100)
        score = 100;
    if (r->score[i] < score)
        r->score[i] = (uint8_t)score;
}

static bool word_at(const struct nlu_text *tx, int i, const char *w)
{
    return tx_is(tx, i, w);
}

static int ordinal_word(const struct nlu_text *tx, int i)
{
    static const char *const words[] = { "first", "second", "third", "fourth", "fifth", NULL };
    if (i < 0 || i >= tx->n)
        return 0;
    const struct nlu_token *t = &tx->t[i];
    for (int k = 0; words[k]; k++)
        if (t->kind == TK_WORD && tok_is(t, words[k]))
            return k + 1;
    if (t->kind == TK_NUM && (t->flags & TF_ORD) && t->num >= 1 && t->num <= 5)
        return t->num;
    return 0;
}

/* Whether the message holds only words from the list besides when-tokens. */
static bool only_fillers(const struct nlu_text *tx, const char *const *list)
{
    for (int i = 0; i < tx->n; i++) {
        const struct nlu_token *t = &tx->t[i];
        if (t->ent == TE_WHEN)
            continue;
        bool ok = false;
        for (int k = 0; list[k] && !ok; k++)
            ok = t->kind == TK_WORD && tok_is(t, list[k]);
        if (!ok)
            return false;
    }
    return true;
}

static void read_pick(const struct nlu_context *ctx, const struct nlu_text *tx, struct nlu_result *r)
{
    static const char *const accept[] = { "ok", "yes", "sure", "then", "please", "works", "work",
                                          "is", "good", "fine", "perfect", "great", "that", "lets",
                                          "do", "the", "one", "at", "how", "about", "what", "i",
                                          "can", "come", "would", "be", "sounds", "ill", "take",
                                          "book", "me", "for", "and", "thanks", "awesome", "id",
                                          "like", "want", "it", "in", NULL };
    int offered = ctx ? ctx->offered : 0;
    struct nlu_pick pk = { NLU_PICK_NONE, 0 };
    int score = 0;
    for (int i = 0; i < tx->n && pk.kind == NLU_PICK_NONE; i++) {
        int o = ordinal_word(tx, i);
        if (o) {
            bool the = word_at(tx, i - 1, "the");
            bool one = word_at(tx, i + 1, "one") || word_at(tx, i + 1, "option") ||
                       word_at(tx, i + 1, "slot") || word_at(tx, i + 1, "choice") ||
                       word_at(tx, i + 1, "spot");
            bool not_pick = word_at(tx, i + 1, "time") || word_at(tx, i + 1, "thing") ||
                            word_at(tx, i + 1, "available") || word_at(tx, i + 1, "visit") ||
                            word_at(tx, i + 1, "appointment") || word_at(tx, i + 1, "opening") ||
                            tx->t[i].ent == TE_WHEN;
            if (!not_pick && (one || (the && (offered || i + 1 == tx->n)) || tx->n == 1)) {
                pk.kind = NLU_PICK_ORDINAL;
                pk.ordinal = (int8_t)o;
                score = offered ? 92 : 60;
            }
        }
        if ((word_at(tx, i, "last") || word_at(tx, i, "final")) && pk.kind == NLU_PICK_NONE &&
            (word_at(tx, i + 1, "one") || word_at(tx, i + 1, "option") ||
             (word_at(tx, i - 1, "the") && i + 1 == tx->n))) {
            pk.kind = NLU_PICK_ORDINAL;
            pk.ordinal = -1;
            score = offered ? 92 : 55;
        }
        if ((word_at(tx, i, "option") || word_at(tx, i, "number") || word_at(tx, i, "choice")) &&
            i + 1 < tx->n && tx->t[i + 1].kind == TK_NUM && tx->t[i + 1].num >= 1 &&
            tx->t[i + 1].num <= 9) {
            pk.kind = NLU_PICK_ORDINAL;
            pk.ordinal = (int8_t)tx->t[i + 1].num;
            score = offered ? 92 : 60;
        }
        if (tx->t[i].kind == TK_NUM && (tx->t[i].flags & TF_HASH) && tx->t[i].num >= 1 &&
            tx->t[i].num <= 9) {
            pk.kind = NLU_PICK_ORDINAL;
            pk.ordinal = (int8_t)tx->t[i].num;
            score = offered ? 92 : 60;
        }
        if (offered && (word_at(tx, i, "middle")) && (word_at(tx, i + 1, "one") || i + 1 == tx->n)) {
            pk.kind = NLU_PICK_ORDINAL;
            pk.ordinal = (int8_t)((offered + 1) / 2);
            score = 85;
        }
        if (offered && (word_at(tx, i, "earliest") || word_at(tx, i, "earlier") ||
                        word_at(tx, i, "soonest") || word_at(tx, i, "sooner"))) {
            pk.kind = NLU_PICK_EARLIEST;
            score = 88;
        }
        if (offered && (word_at(tx, i, "latest") || word_at(tx, i, "later")) &&
            (word_at(tx, i - 1, "the") || word_at(tx, i + 1, "one"))) {
            pk.kind = NLU_PICK_LATEST;
            score = 88;
        }
    }
    if (pk.kind == NLU_PICK_NONE && offered) {
        /* "I'll take it", "that one", "that works", "3:30 works" */
        bool it = false;
        for (int i = 0; i < tx->n && !it; i++) {
            it = (word_at(tx, i, "take") && (word_at(tx, i + 1, "it") || word_at(tx, i + 1, "that") ||
                                             word_at(tx, i + 1, "those"))) ||
                 (word_at(tx, i, "that") && word_at(tx, i + 1, "one")) ||
                 (word_at(tx, i, "book") && (word_at(tx, i + 1, "it") || word_at(tx, i + 1, "that")));
        }
        bool when_item = r->when.n > 0 && r->when.item[0].time_kind == NLU_TIME_EXACT;
        if (when_item && only_fillers(tx, accept)) {
            pk.kind = NLU_PICK_TIME;
            score = 88;
        } else if (it || (r->score[NLU_INTENT_YES] >= NLU_PRESENT && r->nservices == 0 && r->when.n == 0)) {
            pk.kind = NLU_PICK_THIS;
            score = it ? 90 : 70;
        }
    } else if (pk.kind == NLU_PICK_NONE) {
        for (int i = 0; i + 1 < tx->n && pk.kind == NLU_PICK_NONE; i++)
            if (word_at(tx, i, "take") && (word_at(tx, i + 1, "it") || word_at(tx, i + 1, "that"))) {
                pk.kind = NLU_PICK_THIS;
                score = 60;
            }
    }
    r->pick = pk;
    if (pk.kind != NLU_PICK_NONE)
        raise(r, NLU_INTENT_PICK, score);
}

static bool consonant_mash(const char *w, size_t n)
{
    int run = 0, vowels = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        bool v = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
        vowels += v;
        run = v ? 0 : run + 1;
        if (run >= 5)
            return true;
    }
    return vowels == 0 && n >= 3;
}

static bool question_shape(const struct nlu_text *tx)
{
    static const char *const q[] = { "how", "what", "whats", "when", "where", "why", "who",
                                     "which", "can", "could", "do", "does", "is", "are", "will",
                                     "would", "should", "may", "any", "hows", "wheres", NULL };
    int i = 0;
    while (i < tx->n && (tx_is(tx, i, "hi") || tx_is(tx, i, "hey") || tx_is(tx, i, "hello") ||
                         tx_is(tx, i, "so") || tx_is(tx, i, "ok")))
        i++;
    for (int k = 0; q[k]; k++)
        if (tx_is(tx, i, q[k]))
            return true;
    return false;
}

void nlu_intent_score(const struct nlu_context *ctx, const struct nlu_text *tx,
                      struct nlu_result *r)
{
    uint8_t cap[NLU_INTENT_COUNT];
    struct present pr;
    memset(cap, 100, sizeof cap);
    find_present(tx, &pr);
    for (int k = 0; k < npats; k++) {
        const struct cpat *p = &pats[k];
        if (!may_match(p, &pr) || !pat_matches(p, tx))
            continue;
        if (p->neg) {
            if (cap[p->intent] > p->weight)
                cap[p->intent] = p->weight;
            continue;
        }
        if (p->intent != NONE_INTENT)
            raise(r, p->intent, p->weight);
        r->flags |= p->flag;
        r->topics |= p->topic;
    }
    for (int i = 0; i < NLU_INTENT_COUNT; i++)
        if (r->score[i] > cap[i])
            r->score[i] = cap[i];

    /* a date in the past ("last month") asks for nothing */
    bool has_when = r->when.order != NLU_ORDER_NONE;
    for (int i = 0; i < r->when.n; i++)
        has_when = has_when || !(r->when.item[i].flags & NLU_W_PAST);
    bool question = (r->flags & NLU_F_QUESTION) || question_shape(tx);
    if (question)
        r->flags |= NLU_F_QUESTION;
    if (r->nservices > 0 && has_when)
        raise(r, NLU_INTENT_BOOK, 80);
    if (r->nservices > 0 && has_when && question)
        raise(r, NLU_INTENT_AVAILABILITY, 60);
    if (r->nservices > 0 && !has_when && question && r->score[NLU_INTENT_PRICE] < NLU_PRESENT &&
        r->score[NLU_INTENT_BOOK] < NLU_PRESENT && r->score[NLU_INTENT_MEDICAL] < NLU_PRESENT)
        raise(r, NLU_INTENT_SERVICE_INFO, 65);
    bool past = false;
    for (int i = 0; i < r->when.n; i++)
        past = past || (r->when.item[i].flags & NLU_W_PAST);
    if (r->nservices > 0 && !question && !past &&
        r->score[NLU_INTENT_PRICE] < NLU_PRESENT && r->score[NLU_INTENT_CANCEL] < NLU_PRESENT &&
        r->score[NLU_INTENT_RESCHEDULE] < NLU_PRESENT && r->score[NLU_INTENT_MEDICAL] < NLU_PRESENT &&
        r->score[NLU_INTENT_URGENT] < NLU_PRESENT)
        raise(r, NLU_INTENT_BOOK, 60);
    if (has_when && r->nservices == 0 && question && r->score[NLU_INTENT_HOURS] < NLU_PRESENT &&
        r->score[NLU_INTENT_RESCHEDULE] < NLU_PRESENT && r->score[NLU_INTENT_CANCEL] < NLU_PRESENT)
        raise(r, NLU_INTENT_AVAILABILITY, 60);
    if (r->score[NLU_INTENT_URGENT] >= NLU_PRESENT)
        raise(r, NLU_INTENT_MEDICAL, 70);
    if (r->score[NLU_INTENT_RESCHEDULE] >= NLU_PRESENT || r->score[NLU_INTENT_CANCEL] >= NLU_PRESENT) {
        /* "move my appointment" is not a new booking */
        if (r->score[NLU_INTENT_BOOK] < 90)
            r->score[NLU_INTENT_BOOK] = r->score[NLU_INTENT_BOOK] > 40 ? 40 : r->score[NLU_INTENT_BOOK];
    }
    if (tx->flags & NLU_F_CARD_DIGITS)
        raise(r, NLU_INTENT_PAYMENT, 85);
    if (tx->email_tok >= 0)
        raise(r, NLU_INTENT_EMAIL, 95);
    if (r->person.score)
        raise(r, NLU_INTENT_NAME, r->person.score);

    read_pick(ctx, tx, r);

    /* a medical question is no booking request until it names a time; an
     * urgent symptom never is */
    if (r->score[NLU_INTENT_MEDICAL] >= NLU_PRESENT && !has_when && r->score[NLU_INTENT_BOOK] > 45)
        r->score[NLU_INTENT_BOOK] = 45;
    if (r->score[NLU_INTENT_URGENT] >= NLU_PRESENT) {
        for (int i = 0; i < NLU_INTENT_COUNT; i++)
            if (i != NLU_INTENT_URGENT && i != NLU_INTENT_MEDICAL && i != NLU_INTENT_GREETING &&
                r->score[i] > 40)
                r->score[i] = 40;
    }

    /* a bare date or time ("ok thursday at 5 then") continues a booking */
    bool any = false, topical = false;
    for (int i = 0; i < NLU_INTENT_COUNT; i++) {
        any = any || r->score[i] >= NLU_PRESENT;
        topical = topical || (r->score[i] >= NLU_PRESENT && i != NLU_INTENT_YES &&
                              i != NLU_INTENT_NO && i != NLU_INTENT_GREETING &&
                              i != NLU_INTENT_THANKS && i != NLU_INTENT_PICK && i != NLU_INTENT_NAME);
    }
    if (has_when && !topical && r->score[NLU_INTENT_NO] < NLU_PRESENT)
        raise(r, NLU_INTENT_BOOK, 60);
    for (int i = 0; i < NLU_INTENT_COUNT; i++)
        if (r->score[i] > cap[i])
            r->score[i] = cap[i];
    if (!any && !has_when && r->nservices == 0 && r->nproviders == 0 && tx->n > 0) {
        bool mash = true;
        for (int i = 0; i < tx->n && mash; i++)
            mash = tx->t[i].kind == TK_WORD && tx->t[i].id < 0 &&
                   consonant_mash(tx->t[i].w, tx->t[i].wlen);
        if (mash)
            r->flags |= NLU_F_GIBBERISH;
    }
}
