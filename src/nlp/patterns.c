/*
 * patterns.c — the rule-based entities of patterns.h.
 *
 * How it works. Three combined PCRE2 expressions, each compiled once with
 * PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES and JIT-compiled:
 *   ids     order_id, carrier tracking numbers (formats anywhere, bare
 *           12-15 digit numbers only after a cue such as 运单号), and the
 *           masked PII forms pii.c writes (138****5678, ****1234, ...)
 *   amount  money (a currency mark and/or a comparator) | quantity
 *   time    [day [at] time] | [time [on] day] | day-with-part-of-day
 * plus kf_pii_find for the raw PII (same validation as the masker) and one
 * expression per bot rule. Each expression is scanned left to right
 * (leftmost-first, alternatives ordered longest/most specific first); named
 * groups (duplicated names allowed, the set one is used) tell the
 * normaliser which parts were said. A match the normaliser rejects (an
 * impossible date like 2月30日, "一点" = "a bit") is skipped as a whole.
 * All candidates then go through one overlap pass: within a cluster of
 * overlapping spans the longest wins, at equal length the type priority
 * (a bot's own type > ids > PII > datetime > date > money > quantity).
 *
 * Speed: the combined expressions keep pcre2_match calls to about one per
 * expression plus one per match; a first-character lookahead in front of
 * each rejects most positions of Chinese text in one class test; a byte
 * prefilter skips expressions that cannot match (no digit, '@', '*', '['
 * → no ids). Every repetition is bounded or possessive and Chinese
 * numerals never start inside a numeral run, so hostile 64 KiB texts stay
 * linear (tests/unit/nlp/patterns.c has the runs that were quadratic).
 *
 * Span conventions (a held-out set is scored by exact span):
 *   - no leading prepositions (on/by/at/在/于) and no cue words: "运单号是
 *     SF…" gives only the number; "tomorrow at 3pm" keeps the linking "at"
 *   - money spans include the currency mark and an adjacent comparator
 *     ("不超过2000元", "about $50", "300以内"); a bare number is money only
 *     with a comparator, and never when a unit or time word follows
 *     ("至少2件" is the quantity "2件", "约3天后" the date "3天后")
 *   - a match never starts or ends between two Latin letters/digits (EDGE)
 *
 * Date conventions, against the kf_time_ref (local date = epoch + offset,
 * civil-from-days arithmetic, no TZ or localtime):
 *   - weeks start on Monday. 这周三/本周三/this Wednesday = that day of the
 *     current week (even if it is past); 下周一/next Monday = that day of
 *     next week; 上周五/last Friday = of last week; a bare weekday (周五,
 *     Friday) = the next such day, today included; "this coming Friday" =
 *     the next one after today
 *   - a bare day of month (3号, 15日) = the nearest upcoming one: this
 *     month if not yet passed (today counts), else the next month that has
 *     that day
 *   - a month-day without a year = the nearest such date: this year,
 *     unless that is more than 183 days away, then the neighbouring year
 *     on the other side (on 2026-11-25 "1月5日" is 2027-01-05; on
 *     2026-01-10 "12月25日" is 2025-12-25)
 *   - parts of day without a clock: 凌晨 03:00, 早上/上午/morning 09:00,
 *     中午/noon 12:00, 下午/afternoon 15:00, 傍晚/evening 18:00,
 *     晚上/今晚/tonight/night 20:00, 半夜/深夜 23:00, midnight 00:00; with
 *     a clock, 下午/傍晚 add 12 to 1-11, 晚上 adds 12 to 5-11 and reads
 *     1-4 and 12 as after midnight (next day); a clock alone is read as
 *     written (3点 = 03:00, 15:30); 12am = 00:00, 12pm = 12:00
 *   - "一点" alone is "a bit", not 01:00 (needs a day, part of day, or
 *     minutes)
 *
 * Threads: the compiled codes and the match context are read-only after
 * kf_patterns_new; every call allocates its own match data.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kefu/patterns.h"

#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kefu/mem.h"
#include "kefu/pii.h"
#include "kefu/utf8.h"

#define PAT_MAX_TEXT (64 * 1024)
#define PAT_MAXDUP 8
#define PAT_VAL_MAX 96

/* ---- types ------------------------------------------------------------ */

enum pat__type {
    T_ORDER,
    T_TRACK,
    T_PHONE,
    T_EMAIL,
    T_ID_CARD,
    T_BANK_CARD,
    T_MONEY,
    T_QUANTITY,
    T_DATE,
    T_DATETIME,
    T_COUNT,
    T_CUSTOM = T_COUNT, /* a bot's own type */
};

static const char *const TYPE_NAMES[T_COUNT] = {
    "order_id",  "tracking_number", "phone",    "email", "id_card",
    "bank_card", "money",           "quantity", "date",  "datetime",
};
/* Tie-break at equal span length: higher wins. */
static const int TYPE_PRIO[T_COUNT + 1] = {90, 85, 70, 65, 80, 75, 40, 30, 45, 50, 100};

/* ---- the expressions -------------------------------------------------- */

/* The expressions are laid out by hand: clang-format miscounts CJK widths. */
// clang-format off

/* Not between two Latin letters/digits: either side may be anything else. */
#define EDGE "(?:(?<![0-9A-Za-z])|(?![0-9A-Za-z]))"
#define CND "零〇一二两三四五六七八九"
#define CNN CND "十百千万亿"
/* 1,299.5 | 199 | 3千 | 1.5万 | 1万2000 | 两千五; a Chinese numeral never
 * starts inside another (bounded runs, so 64 KiB of 一 stays linear) */
#define NUM \
    "(?:(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\\.[0-9]{1,6})?" \
    "(?:[十百千万亿]{1,3}(?:[0-9]{1,4}|[" CND "])?){0,3}" \
    "|(?<![" CNN "])[" CNN "]{1,12})"
#define NUMM "(?:" NUM "(?:[kw](?![a-z]))?)"
#define ENNUM "(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?![a-z])"

/* Money. White space is possessive everywhere (\s*+): nothing after it can
 * start with a space, and a long run of spaces must not be split n² ways. */
#define CMP_PRE_EN \
    "no\\s++more\\s++than|not\\s++more\\s++than|no\\s++less\\s++than|not\\s++less\\s++than" \
    "|less\\s++than|fewer\\s++than|more\\s++than|greater\\s++than|at\\s++most|at\\s++least" \
    "|up\\s++to|under|below|over|above|around|about|roughly|approximately|approx\\.?" \
    "|within|maximum|max|minimum|min"
#define CMP_PRE_ZH \
    "不超过|不高于|不多于|不大于|不低于|不少于|不小于|不到|低于|少于|小于" \
    "|高于|多于|大于|超过|最多|最少|至多|至少|最高|最低" \
    "|大概|大约|差不多|将近|接近|约"
#define CMP_PRE "(?:(?:" CMP_PRE_EN ")(?![a-z])|" CMP_PRE_ZH "|[~～])"
#define CMP_SUF_ZH "及以下|及以上|或以下|或以上|以内|以下|以上|之内|之下|之上|左右|上下"
#define CMP_SUF_EN \
    "(?:or\\s++(?:less|under|below|lower|more|above|higher|so)" \
    "|and\\s++(?:up|above|under|below)|max|tops)(?![a-z])"
#define CUR_PRE "(?:US\\$|[¥￥$]|(?:rmb|cny|usd)(?![a-z]))"
#define CUR_POST \
    "(?:块钱|元钱|块|元|人民币|美元|美金" \
    "|(?:rmb|cny|usd|yuan|dollars?|bucks?)(?![a-z]))"
#define UNIT_CHARS "个件台部只双条箱盒瓶包套本支张副对袋斤"
/* What may not follow a bare number for it to be an amount of money. */
#define NOTFOLLOW \
    "(?![.,]?[0-9]|[a-z%％:：/]" \
    "|\\s*+(?:[" CNN UNIT_CHARS "克天号日月年点分秒时周岁度米寸倍折人次位名楼层页期]" \
    "|小时|钟|星期|礼拜|公斤" \
    "|(?:pcs|pieces?|pc|units?|pairs?|boxes|box|packs?|bottles?|items?|sets?" \
    "|days?|weeks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|seconds?|secs?" \
    "|percent|kg|g|gb|mb|tb|cm|mm|km|m|inch(?:es)?|lbs?|mah|am|pm|a\\.m\\.|p\\.m\\." \
    "|o'?clock|people|persons?|times|stars?)(?![a-z])))"

#define MONEY \
    "(?<money>" \
        "(?:(?<mpre>" CMP_PRE ")\\s*+)?" \
        "(?:(?<curpre>" CUR_PRE ")\\s*+(?<num>" NUMM ")" \
        "|(?<num>" NUMM ")(?<duo>多)?\\s*+(?<curpost>" CUR_POST ")" \
            "(?:(?<=块)(?<jiao>[0-9一二两三四五六七八九])毛?" \
            "(?![0-9" CNN UNIT_CHARS "号天点]))?)" \
        "(?:\\s*+(?<msuf>" CMP_SUF_ZH "|" CMP_SUF_EN "))?" \
    "|(?<mpre>" CMP_PRE ")\\s*+(?<num>" NUMM ")" NOTFOLLOW \
        "(?:\\s*+(?<msuf>" CMP_SUF_ZH "))?" \
    "|(?<num>" NUMM ")(?<duo>多)?(?<msuf>" CMP_SUF_ZH "))"

/* Quantity: 个 is not a unit in 3个月 / 3个小时 / 一个问题, 部 not in 一部分. */
#define QUNIT_ZH \
    "公斤|个(?!月|小时|钟头|星期|礼拜|工作日|多月|半|问题)|件|台|部(?!分)|只|双|条|箱" \
    "|盒|瓶|包|套|本|支|张|副|对|袋|斤|kg(?![a-z])"
#define QUNIT_EN \
    "(?:pcs|pieces|piece|pc|units|unit|pairs|pair|boxes|box|packs|pack|bottles|bottle" \
    "|items|item|sets|set)(?![a-z])"
#define QUANTITY \
    "(?<qty>(?<!第)" \
        "(?:(?<qnum>" NUM ")\\s*+(?<qunit>" QUNIT_ZH "|" QUNIT_EN ")" \
        "|(?<qnum>" ENNUM ")\\s++(?<qunit>" QUNIT_EN ")))"

/* Days. */
#define DAYZH \
    "(?:3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?" \
    "|[一二三四五六七八九])"
#define MONZH "(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
#define DAYNUM "(?:3[01]|[12][0-9]|0?[1-9])"
#define MONTHS_EN \
    "(?:january|february|march|april|may|june|july|august|september|october|november" \
    "|december|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)(?![a-z])"
#define WDAYS_EN \
    "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday" \
    "|(?-i:Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun|Mon))(?![a-z])"
/* 号 is not a day in 3号线, 3号楼, ...; 日 not in 3日内, 3日元 */
#define NOT_HAO \
    "(?!线|楼|房|门|机|位|床|口|厅|馆|店|码|院|台|车|柜|窗|桌|球|字|选手|电池)"
#define DAY \
    "(?<dz>大后天|大前天|今天|明天|后天|昨天|前天|今日|明日|昨日)" \
    "|(?<de>the\\s++day\\s++after\\s++tomorrow|the\\s++day\\s++before\\s++yesterday" \
        "|today|tomorrow|tmrw|tmr|yesterday)(?![a-z])" \
    "|(?<![一二两三四五六七八九十几0-9])" \
        "(?:(?<wpz>下下个?|上上个?|下个?|上个?|这个?|本)\\s*+)?" \
        "(?:周|星期|礼拜)(?<wdz>[一二三四五六日天1-7])(?!次|遍|回)" \
    "|(?:(?<wpe>next|last|this\\s++coming|this|coming)\\s++)?(?<wde>" WDAYS_EN ")" \
    "|(?<y1>[0-9]{4})[-/.](?<m1>[0-9]{1,2})[-/.](?<d1>[0-9]{1,2})(?![0-9])" \
    "|(?:(?<y2>[0-9]{4}|[0-9]{2}|[〇零一二三四五六七八九]{4}|[〇零一二三四五六七八九]{2})" \
        "\\s*+年\\s*+)?(?<m2>" MONZH ")\\s*+月份?\\s*+(?<d2>" DAYZH ")\\s*+[日号]" \
    "|(?<mrz>下个?月|上个?月|这个?月|本月)\\s*+(?<d3>" DAYZH ")\\s*+[日号]" \
    "|(?<d4>" DAYZH ")\\s*+号" NOT_HAO \
    "|(?<d4>" DAYNUM ")日(?!内|以|之|前|后|元|起)" \
    "|(?<mn1>" MONTHS_EN ")\\.?\\s*+(?<d5>" DAYNUM ")(?:st|nd|rd|th)?(?![0-9a-z])" \
        "(?:\\s*+,?\\s*+(?<y5>[0-9]{4})(?![0-9]))?" \
    "|(?<d6>" DAYNUM ")(?:st|nd|rd|th)?\\s*+(?:of\\s++)?(?<mn2>" MONTHS_EN ")" \
        "(?:\\s*+,?\\s*+(?<y6>[0-9]{4})(?![0-9]))?" \
    "|(?<nrz>[0-9]{1,3}|(?<![" CNN "])[一二两三四五六七八九十]{1,3})" \
        "\\s*+(?<urz>天|日|个?星期|个?礼拜|周|个月)\\s*+(?<drz>以后|之后|以前|之前|过后|后|前)" \
    "|(?<ine>in)\\s++(?<nre>[0-9]{1,3}|" ENNUM "|an?)\\s++(?<ure>days?|weeks?|months?)" \
        "(?![a-z])" \
    "|(?<nre>[0-9]{1,3}|" ENNUM "|an?)\\s++(?<ure>days?|weeks?|months?)\\s++" \
        "(?<dre>ago|later|from\\s++now|hence)(?![a-z])"

/* Times. */
#define CLOCKZ \
    "(?<hz>[0-9]{1,2}|(?<![" CNN "])[零一二两三四五六七八九十]{1,3})\\s*+[点點时時]" \
    "(?:(?<halfz>半)|(?<qz>[一三])刻|(?<mz>[0-9]{1,2}|[零一二三四五六七八九十]{1,3})分?" \
    "|(?<zhong>钟))?"
#define CLOCKEN \
    "(?:(?<he>1[0-2]|0?[1-9])(?:[:.](?<me>[0-5][0-9]))?\\s*+(?<ap>[ap])(?:m|\\.m\\.)(?![a-z])" \
    "|(?<hc>[01]?[0-9]|2[0-4])[:：](?<mc>[0-5][0-9])(?:[:：](?<sc>[0-5][0-9]))?(?![0-9])" \
    "|(?<noon>noon|midday|midnight)(?![a-z])" \
    "|(?<hoc>1[0-2]|0?[1-9])\\s*+o['’]?clock(?![a-z]))"
/* A clock after a part of day, am/pm optional: "tonight at 8". */
#define CLOCKEN_L \
    "(?<hl>1[0-2]|0?[1-9])(?:[:.](?<ml>[0-5][0-9]))?(?:\\s*+(?<apl>[ap])(?:m|\\.m\\.))?" \
    "(?![0-9a-z])"
/* 早上好 and 下午茶 are no times */
#define PDZ \
    "(?<pdz>凌晨|清晨|早晨|早上|上午|中午|午间|下午|傍晚|晚上|夜里|夜间|半夜|深夜)(?!好|茶)"
#define PDE "(?<pde>morning|afternoon|evening|night)(?![a-z])"
/* a day and a part of day in one word */
#define DPD \
    "(?<dpz>今晚|明晚|昨晚|今早|明早|今晨|明晨|今夜|明夜|昨夜)(?:\\s*+" CLOCKZ ")?" \
    "|(?<dpe>tonight|tonite|last\\s++night|this\\s++morning|this\\s++afternoon" \
        "|this\\s++evening)(?![a-z])(?:(?:\\s++at)?\\s++" CLOCKEN_L ")?"
/* after a day (English parts of day only there: "good morning" is none) */
#define TIME_D \
    "(?:" PDZ "(?:\\s*+" CLOCKZ ")?|" CLOCKZ "|" CLOCKEN \
    "|" PDE "(?:(?:\\s++at)?\\s++" CLOCKEN_L ")?)"
#define TIME_A "(?:" PDZ "(?:\\s*+" CLOCKZ ")?|" CLOCKZ "|" CLOCKEN ")"
#define SEP_DT "(?:\\s*+,?\\s*+(?:at|@)\\s*+|\\s*+,?\\s*+(?:in\\s++the\\s++)?|T(?=[0-9]))"
#define SEP_TD "(?:\\s*+,?\\s*+(?:on\\s++)?)"
/* a day-and-part word after a clock: "9pm tonight", "8am this morning" */
#define DPE_AFTER \
    "(?<dpe>tonight|tonite|last\\s++night|this\\s++morning|this\\s++afternoon" \
    "|this\\s++evening)(?![a-z])"
#define TIMEEXPR \
    "(?:" DPD \
    "|(?:" DAY ")(?:" SEP_DT "(?:" TIME_D "))?" \
    "|(?:" TIME_A ")(?:" SEP_TD "(?:" DAY "|" DPE_AFTER "))?)"

struct pat__piece {
    int type;
    const char *re;
};

static const struct pat__piece IDS[] = {
    {T_ORDER, "(?<order>DS[0-9]{11})"},
    {T_TRACK, "(?<track>SF[0-9]{12,13}|YT[0-9]{13}|JDV[0-9]{12}|JDV[A-Z][0-9]{11}|JD[0-9]{13}"
              "|1Z[0-9A-Z]{16}|[A-Z]{2}[0-9]{9}[A-Z]{2})"},
    /* 订单号 is an order number, not a cue for a tracking number */
    {T_TRACK, "(?:运单号|快递单号|物流单号|(?<!订)单号)码?\\s*+(?:是|为)?\\s*+[:：]?\\s*+"
              "\\K(?<trackc>[0-9]{12,15})"},
    {T_TRACK, "tracking\\s*+(?:number|no\\.?|num|#)\\s*+(?:is\\s*+)?[:：#]?\\s*+"
              "\\K(?<trackc>[0-9]{12,15})"},
    {T_PHONE, "(?<mphone>(?:\\+?86)?1[3-9][0-9]\\*{4}[0-9]{4}|\\+[0-9]{1,8}\\*{4}[0-9]{4})"},
    {T_ID_CARD, "(?<midcard>[0-9]{6}\\*{8}[0-9]{3}[0-9X])"},
    {T_BANK_CARD, "(?<mbank>(?<![0-9*])\\*{4,19}+(?:[ -]\\*{3,4}+){0,4}[ -]?[0-9]{4})"},
    /* bounded and never started inside a local part: 64 KiB of "a.a." is linear */
    {T_EMAIL, "(?<memail>(?<![A-Z0-9._%+*-])[A-Z0-9._%+-]{0,64}+\\*[A-Z0-9._%+*-]{0,64}+@"
              "[A-Z0-9-]{1,63}+(?:\\.[A-Z0-9-]{1,63}+){0,8}\\.[A-Z]{2,24}+)"},
    /* what pii.h's redact and hash policies write: [phone], [phone:3f9a1c2e] */
    {T_PHONE, "(?<redacted>\\[phone(?::[0-9a-f]{8})?\\])"},
    {T_EMAIL, "(?<redacted>\\[email(?::[0-9a-f]{8})?\\])"},
    {T_ID_CARD, "(?<redacted>\\[id_card(?::[0-9a-f]{8})?\\])"},
    {T_BANK_CARD, "(?<redacted>\\[bank_card(?::[0-9a-f]{8})?\\])"},
};
static const struct pat__piece AMOUNTS[] = {{T_MONEY, MONEY}, {T_QUANTITY, QUANTITY}};
static const struct pat__piece TIMES[] = {{T_DATE, TIMEEXPR}};

/* Every character a match of each expression can start with. One class
 * test rejects most positions of Chinese text, where the start-byte bitmap
 * PCRE2 builds cannot help (every CJK character starts with E4-E9). Keep in
 * step with the expressions: a missing character loses matches. */
static const char *const FIRST[3] = {
    "(?=[0-9A-Za-z+*\\[._%\\-运快物单])",
    /* comparators, US$/usd/rmb/cny, one..twelve (caseless) */
    "(?=[0-9abcefglmnorstuw$~¥￥～" CNN "不低少小高多大超最至差将接约])",
    /* today/tomorrow/yesterday, weekdays, months, next/last/this/coming, in,
     * a/an/one.., noon/midnight (caseless) */
    "(?=[0-9acdfijlmnostwy" CND "十大今明后昨前下上这本周星礼凌清早中午傍晚夜半深])",
};


/* Named groups the normalisers read; an expression may hold a name several
 * times (PCRE2_DUPNAMES), at most one of them is set in a match. */
enum pat__group {
    G_ORDER, G_TRACK, G_TRACKC, G_MPHONE, G_MIDCARD, G_MBANK, G_MEMAIL, G_REDACTED,
    G_MONEY, G_QTY, G_MPRE, G_CURPRE, G_NUM, G_DUO, G_CURPOST, G_JIAO, G_MSUF, G_QNUM, G_QUNIT,
    G_DZ, G_DE, G_WPZ, G_WDZ, G_WPE, G_WDE, G_Y1, G_M1, G_D1, G_Y2, G_M2, G_D2, G_MRZ, G_D3,
    G_D4, G_MN1, G_D5, G_Y5, G_D6, G_MN2, G_Y6, G_NRZ, G_URZ, G_DRZ, G_INE, G_NRE, G_URE, G_DRE,
    G_DPZ, G_DPE, G_PDZ, G_PDE, G_HZ, G_HALFZ, G_QZ, G_MZ, G_ZHONG, G_HE, G_ME, G_AP, G_HC, G_MC,
    G_SC, G_NOON, G_HOC, G_HL, G_ML, G_APL,
    G_COUNT
};

static const char *const GROUP_NAMES[G_COUNT] = {
    "order", "track", "trackc", "mphone", "midcard", "mbank", "memail", "redacted",
    "money", "qty", "mpre", "curpre", "num", "duo", "curpost", "jiao", "msuf", "qnum", "qunit",
    "dz", "de", "wpz", "wdz", "wpe", "wde", "y1", "m1", "d1", "y2", "m2", "d2", "mrz", "d3",
    "d4", "mn1", "d5", "y5", "d6", "mn2", "y6", "nrz", "urz", "drz", "ine", "nre", "ure", "dre",
    "dpz", "dpe", "pdz", "pde", "hz", "halfz", "qz", "mz", "zhong", "he", "me", "ap", "hc", "mc",
    "sc", "noon", "hoc", "hl", "ml", "apl",
};

// clang-format on

enum pat__kind { K_IDS, K_AMOUNT, K_TIME, K_CUSTOM };

struct pat__re {
    pcre2_code *code;
    enum pat__kind kind;
    int type;        /* K_CUSTOM: the built-in type it replaces, or T_CUSTOM */
    char *type_name; /* K_CUSTOM: owned copy of the rule's type */
    uint8_t ngroups[G_COUNT];
    uint16_t groups[G_COUNT][PAT_MAXDUP];
};

struct kf_patterns {
    pcre2_general_context *gctx;
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
    struct pat__re builtin[3]; /* K_IDS, K_AMOUNT, K_TIME; code NULL when all replaced */
    struct pat__re *custom;
    size_t ncustom;
    unsigned replaced; /* bit per enum pat__type replaced by a bot rule */
    uint32_t ovec_pairs;
};

/* ---- small helpers ---------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}
static char to_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Lower-cased copy with every run of white space as one ' '; 0 if it does
 * not fit. Lets "no  more\tthan" find "no more than" in a table. */
static size_t pat__canon(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n;) {
        size_t w = 0;
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            w = 1;
        else if (i + 1 < n && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0)
            w = 2; /* U+00A0 */
        else if (i + 2 < n && memcmp(s + i, "\xE3\x80\x80", 3) == 0)
            w = 3; /* U+3000 */
        if (w) {
            space = 1;
            i += w;
            continue;
        }
        if (space && o > 0) {
            if (o + 1 >= cap)
                return 0;
            buf[o++] = ' ';
        }
        space = 0;
        if (o + 1 >= cap)
            return 0;
        buf[o++] = to_lower(s[i++]);
    }
    buf[o] = '\0';
    return o;
}

struct pat__word {
    const char *w;
    int v;
};

/* Value of the canonical form of s[0..n) in a table, or def. */
static int pat__lookup(const struct pat__word *tab, size_t ntab, const char *s, size_t n, int def)
{
    char buf[64];
    if (pat__canon(s, n, buf, sizeof buf) == 0)
        return def;
    for (size_t i = 0; i < ntab; i++)
        if (strcmp(tab[i].w, buf) == 0)
            return tab[i].v;
    return def;
}
#define LOOKUP(tab, ...) pat__lookup(tab, sizeof tab / sizeof tab[0], __VA_ARGS__)

static void pat__fmt_num(double x, char *buf, size_t cap)
{
    if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, cap, "%.0f", x);
        return;
    }
    snprintf(buf, cap, "%.6f", x);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
}

/* ---- numbers ---------------------------------------------------------- */

/* Chinese digits and units; 两 and 幺 (a spoken 1) are digits too. */
struct pat__cn {
    uint32_t cp;
    int v;
};
// clang-format off
static const struct pat__cn CN_DIGITS[] = {
    {0x96F6, 0} /* 零 */, {0x3007, 0} /* 〇 */, {0x4E00, 1} /* 一 */, {0x5E7A, 1} /* 幺 */,
    {0x4E8C, 2} /* 二 */, {0x4E24, 2} /* 两 */, {0x4E09, 3} /* 三 */, {0x56DB, 4} /* 四 */,
    {0x4E94, 5} /* 五 */, {0x516D, 6} /* 六 */, {0x4E03, 7} /* 七 */, {0x516B, 8} /* 八 */,
    {0x4E5D, 9} /* 九 */,
};
static const struct pat__cn CN_UNITS[] = {
    {0x5341, 10} /* 十 */, {0x767E, 100} /* 百 */, {0x5343, 1000} /* 千 */,
    {0x4E07, 10000} /* 万 */, {0x4EBF, 100000000} /* 亿 */,
};
// clang-format on

static int pat__cn_digit(uint32_t cp)
{
    for (size_t i = 0; i < sizeof CN_DIGITS / sizeof CN_DIGITS[0]; i++)
        if (CN_DIGITS[i].cp == cp)
            return CN_DIGITS[i].v;
    return -1;
}

static double pat__cn_unit(uint32_t cp)
{
    for (size_t i = 0; i < sizeof CN_UNITS / sizeof CN_UNITS[0]; i++)
        if (CN_UNITS[i].cp == cp)
            return CN_UNITS[i].v;
    return 0;
}

/* An Arabic number at s: 1299 | 1,299 | 1,299.5. Returns the bytes read;
 * *single = a lone digit (for "两千五"-style abbreviations: 3千5). */
static size_t pat__arabic(const char *s, size_t n, double *v, int *single)
{
    size_t i = 0, nd = 0;
    double x = 0;
    while (i < n && is_digit(s[i])) {
        x = x * 10 + (s[i++] - '0');
        nd++;
    }
    if (nd == 0)
        return 0;
    int grouped = 0;
    while (nd <= 3 && i + 3 < n && s[i] == ',' && is_digit(s[i + 1]) && is_digit(s[i + 2]) &&
           is_digit(s[i + 3]) && !(i + 4 < n && is_digit(s[i + 4]))) {
        x = x * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
        i += 4;
        grouped = 1;
    }
    int frac = 0;
    if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        double scale = 0.1;
        i++;
        while (i < n && is_digit(s[i])) {
            x += (s[i++] - '0') * scale;
            scale /= 10;
        }
        frac = 1;
    }
    *v = x;
    *single = nd == 1 && !grouped && !frac;
    return i;
}

int kf_cn_number_parse(const char *s, size_t len, double *out)
{
    enum { P_NONE, P_DIGIT, P_ZERO, P_UNIT, P_BIG } prev = P_NONE;
    double total = 0, sect = 0, cur = 0, seq = 0, single_val = 0;
    double last_unit = 0, last_small = 1e18, last_big = 1e18;
    int have_cur = 0, cur_single = 0, cur_after_unit = 0, cur_after_zero = 0;
    int ntok = 0, nunits = 0, narabic = 0, liang = 0, run = 0;

    if (out)
        *out = 0;
    if (s == NULL || len == 0 || out == NULL)
        return -1;
    for (size_t i = 0; i < len;) {
        double v = 0, u = 0;
        int single = 1, zero = 0;
        if (is_digit(s[i])) {
            size_t n = pat__arabic(s + i, len - i, &v, &single);
            i += n;
            narabic++;
        } else {
            uint32_t cp;
            int n = kf_utf8_decode(s + i, len - i, &cp);
            if (n <= 0)
                return -1;
            i += (size_t)n;
            int d = pat__cn_digit(cp);
            if (d >= 0) {
                v = d;
                zero = d == 0;
                liang |= cp == 0x4E24 || cp == 0x5E7A;
                seq = seq * 10 + d;
            } else if ((u = pat__cn_unit(cp)) == 0) {
                return -1;
            }
        }
        if (u == 0) { /* a digit or an Arabic number */
            if (ntok == 0)
                single_val = v;
            ntok++;
            if (prev == P_DIGIT) { /* 一二三: only digit by digit, no units */
                if (nunits > 0)
                    return -1;
                run = 1;
                continue;
            }
            if (zero && nunits > 0) { /* 一千零五 */
                prev = P_ZERO;
                continue;
            }
            cur = v;
            have_cur = 1;
            cur_single = single;
            cur_after_unit = prev == P_UNIT || prev == P_BIG;
            cur_after_zero = prev == P_ZERO;
            prev = P_DIGIT;
            continue;
        }
        ntok++;
        nunits++;
        if (run)
            return -1;
        if (u < 1e4) { /* 十 百 千 */
            if (!have_cur) {
                if (prev == P_NONE || prev == P_ZERO || (u == 10 && prev == P_BIG))
                    cur = 1; /* 十一, 一千零十 */
                else
                    return -1;
            }
            if (u >= last_small)
                return -1;
            sect += cur * u;
            last_small = u;
        } else { /* 万 亿 */
            if (have_cur)
                sect += cur;
            if (sect == 0 && total == 0) {
                if (prev != P_NONE)
                    return -1;
                sect = 1;
            }
            if (u == 1e4) {
                if (last_big <= 1e4)
                    return -1;
                total += sect * 1e4;
            } else {
                total = (total + sect) * 1e8;
            }
            last_big = u;
            sect = 0;
            last_small = 1e18;
        }
        have_cur = 0;
        last_unit = u;
        prev = u < 1e4 ? P_UNIT : P_BIG;
    }
    if (nunits == 0) {
        if (ntok == 1) {
            *out = single_val;
            return 0;
        }
        if (narabic > 0 || liang)
            return -1;
        *out = seq;
        return 0;
    }
    double r = total + sect;
    if (have_cur) {
        if (cur_after_unit && !cur_after_zero && cur_single && last_unit >= 100)
            r += cur * last_unit / 10; /* 两千五, 一万二, 3千5 */
        else
            r += cur; /* 二十五, 一千零五, 1万2000 */
    }
    if (!isfinite(r))
        return -1; /* 亿亿亿… */
    *out = r;
    return 0;
}

/* ---- calendar --------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2)
        return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
    return dim[m - 1];
}

static int valid_ymd(int y, int m, int d)
{
    return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* ---- one extraction --------------------------------------------------- */

struct pat__cand {
    size_t start, end;
    int type; /* enum pat__type; T_CUSTOM for a bot's own type */
    int prio;
    int upper; /* value = the span upper-cased */
    double conf;
    const struct pat__re *re; /* K_CUSTOM: for the type name */
    char val[PAT_VAL_MAX];    /* computed JSON value; "" = JSON string of the span */
};

struct pat__run {
    const struct kf_patterns *p;
    const char *t;
    size_t len;
    pcre2_match_data *md;
    const PCRE2_SIZE *ov;
    int rc;
    int64_t today;       /* local days since 1970-01-01 */
    int ty, tm, td, twd; /* today's date; weekday 0 = Monday */
    int off_min;
    struct pat__cand *c;
    size_t n, cap;
    struct pat__cand local[24];
};

static int pat__grp(const struct pat__run *r, const struct pat__re *re, int g, size_t *s, size_t *e)
{
    for (unsigned i = 0; i < re->ngroups[g]; i++) {
        unsigned k = re->groups[g][i];
        if ((int)k < r->rc && r->ov[2 * k] != PCRE2_UNSET) {
            *s = r->ov[2 * k];
            *e = r->ov[2 * k + 1];
            return 1;
        }
    }
    return 0;
}
#define GRP(g) pat__grp(r, re, (g), &gs, &ge)
#define GTEXT (r->t + gs), (ge - gs)

static int pat__add(struct pat__run *r, const struct pat__cand *c)
{
    if (r->n == r->cap) {
        size_t cap = r->cap * 2;
        struct pat__cand *nc = kf_malloc(cap * sizeof *nc);
        if (nc == NULL)
            return 0;
        memcpy(nc, r->c, r->n * sizeof *nc);
        if (r->c != r->local)
            kf_free(r->c);
        r->c = nc;
        r->cap = cap;
    }
    r->c[r->n++] = *c;
    return 1;
}

static int pat__touches(const char *t, size_t len, size_t s, size_t e)
{
    return (s > 0 && is_alnum(t[s - 1]) && is_alnum(t[s])) ||
           (e < len && e > s && is_alnum(t[e - 1]) && is_alnum(t[e]));
}

/* ids: which type, value = the span (upper-cased for order/tracking ids) */
static int pat__ids(struct pat__run *r, const struct pat__re *re, struct pat__cand *c)
{
    size_t gs, ge;
    if (GRP(G_ORDER))
        c->type = T_ORDER;
    else if (GRP(G_TRACK) || GRP(G_TRACKC))
        c->type = T_TRACK;
    else if (GRP(G_MPHONE))
        c->type = T_PHONE;
    else if (GRP(G_MIDCARD))
        c->type = T_ID_CARD;
    else if (GRP(G_MBANK))
        c->type = T_BANK_CARD;
    else if (GRP(G_MEMAIL))
        c->type = T_EMAIL;
    else if (GRP(G_REDACTED)) {
        char k = to_lower(r->t[gs + 1]);
        c->type = k == 'p' ? T_PHONE : k == 'e' ? T_EMAIL : k == 'i' ? T_ID_CARD : T_BANK_CARD;
    } else
        return -1;
    c->upper = c->type == T_ORDER || c->type == T_TRACK;
    return 0;
}

enum { CMP_NONE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_APPROX };
static const char *const CMP_NAMES[] = {"", "lt", "le", "gt", "ge", "approx"};

// clang-format off
static const struct pat__word COMPARATORS[] = {
    {"under", CMP_LT}, {"below", CMP_LT}, {"less than", CMP_LT}, {"fewer than", CMP_LT},
    {"低于", CMP_LT}, {"以下", CMP_LT}, {"少于", CMP_LT}, {"小于", CMP_LT}, {"不到", CMP_LT},
    {"之下", CMP_LT},
    {"no more than", CMP_LE}, {"not more than", CMP_LE}, {"at most", CMP_LE}, {"up to", CMP_LE},
    {"max", CMP_LE}, {"maximum", CMP_LE}, {"within", CMP_LE}, {"tops", CMP_LE},
    {"or less", CMP_LE}, {"or under", CMP_LE}, {"or below", CMP_LE}, {"or lower", CMP_LE},
    {"and under", CMP_LE}, {"and below", CMP_LE},
    {"不超过", CMP_LE}, {"以内", CMP_LE}, {"之内", CMP_LE}, {"最多", CMP_LE}, {"至多", CMP_LE},
    {"不高于", CMP_LE}, {"不多于", CMP_LE}, {"不大于", CMP_LE}, {"最高", CMP_LE},
    {"及以下", CMP_LE}, {"或以下", CMP_LE},
    {"over", CMP_GT}, {"more than", CMP_GT}, {"above", CMP_GT}, {"greater than", CMP_GT},
    {"高于", CMP_GT}, {"以上", CMP_GT}, {"超过", CMP_GT}, {"多于", CMP_GT}, {"大于", CMP_GT},
    {"之上", CMP_GT},
    {"at least", CMP_GE}, {"no less than", CMP_GE}, {"not less than", CMP_GE}, {"min", CMP_GE},
    {"minimum", CMP_GE}, {"or more", CMP_GE}, {"or above", CMP_GE}, {"or higher", CMP_GE},
    {"and up", CMP_GE}, {"and above", CMP_GE},
    {"至少", CMP_GE}, {"最少", CMP_GE}, {"不低于", CMP_GE}, {"不少于", CMP_GE},
    {"不小于", CMP_GE}, {"最低", CMP_GE}, {"及以上", CMP_GE}, {"或以上", CMP_GE},
    {"around", CMP_APPROX}, {"about", CMP_APPROX}, {"roughly", CMP_APPROX},
    {"approximately", CMP_APPROX}, {"approx", CMP_APPROX}, {"approx.", CMP_APPROX},
    {"~", CMP_APPROX}, {"～", CMP_APPROX}, {"or so", CMP_APPROX},
    {"左右", CMP_APPROX}, {"上下", CMP_APPROX}, {"大概", CMP_APPROX}, {"大约", CMP_APPROX},
    {"约", CMP_APPROX}, {"差不多", CMP_APPROX}, {"将近", CMP_APPROX}, {"接近", CMP_APPROX},
};

static const struct pat__word USD_WORDS[] = {
    {"$", 1}, {"us$", 1}, {"usd", 1}, {"dollar", 1}, {"dollars", 1},
    {"buck", 1}, {"bucks", 1}, {"美元", 1}, {"美金", 1},
};

static const struct pat__word EN_NUMBERS[] = {
    {"a", 1}, {"an", 1}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5},
    {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11},
    {"twelve", 12},
};
// clang-format on

/* A number as the expressions capture it: digits, Chinese numerals, an
 * English word, with a k/w multiplier in money. */
static int pat__number(const char *s, size_t n, double *v)
{
    double mul = 1;
    if (n > 1 && (s[n - 1] == 'k' || s[n - 1] == 'K')) {
        mul = 1e3;
        n--;
    } else if (n > 1 && (s[n - 1] == 'w' || s[n - 1] == 'W')) {
        mul = 1e4;
        n--;
    }
    if (n > 0 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        int w = LOOKUP(EN_NUMBERS, s, n, -1);
        if (w < 0)
            return -1;
        *v = w;
        return 0;
    }
    if (kf_cn_number_parse(s, n, v) < 0 || !isfinite(*v) || *v > 1e13)
        return -1;
    *v *= mul;
    return 0;
}

static int pat__amount(struct pat__run *r, const struct pat__re *re, struct pat__cand *c)
{
    size_t gs, ge;
    char num[48];
    double v;
    if (GRP(G_MONEY)) {
        if (!GRP(G_NUM) || pat__number(GTEXT, &v) < 0)
            return -1;
        if (GRP(G_JIAO)) {
            double j;
            if (kf_cn_number_parse(GTEXT, &j) < 0)
                return -1;
            v += j / 10;
        }
        int usd = 0, cmp = CMP_NONE;
        if (GRP(G_CURPRE) || GRP(G_CURPOST))
            usd = LOOKUP(USD_WORDS, GTEXT, 0);
        if (GRP(G_MPRE))
            cmp = LOOKUP(COMPARATORS, GTEXT, CMP_NONE);
        if (cmp == CMP_NONE && GRP(G_MSUF))
            cmp = LOOKUP(COMPARATORS, GTEXT, CMP_NONE);
        if (cmp == CMP_NONE && GRP(G_DUO))
            cmp = CMP_GT; /* 三百多块: more than 300 */
        pat__fmt_num(v, num, sizeof num);
        c->type = T_MONEY;
        snprintf(c->val, sizeof c->val, "{\"amount\":%s,\"currency\":\"%s\"%s%s%s}", num,
                 usd ? "USD" : "CNY", cmp ? ",\"comparator\":\"" : "", CMP_NAMES[cmp],
                 cmp ? "\"" : "");
        return 0;
    }
    if (GRP(G_QTY)) {
        if (!GRP(G_QNUM) || pat__number(GTEXT, &v) < 0)
            return -1;
        if (!GRP(G_QUNIT) || ge - gs > 16)
            return -1;
        char unit[20];
        for (size_t i = 0; i < ge - gs; i++)
            unit[i] = to_lower(r->t[gs + i]);
        unit[ge - gs] = '\0';
        pat__fmt_num(v, num, sizeof num);
        c->type = T_QUANTITY;
        snprintf(c->val, sizeof c->val, "{\"amount\":%s,\"unit\":\"%s\"}", num, unit);
        return 0;
    }
    return -1;
}

/* Parts of day: default hour and how a clock hour is read. */
enum { PD_NONE, PD_EARLY, PD_MORNING, PD_NOON, PD_AFTERNOON, PD_DUSK, PD_EVENING, PD_LATE };
static const int PD_HOUR[] = {-1, 3, 9, 12, 15, 18, 20, 23};

// clang-format off
static const struct pat__word PARTS_OF_DAY[] = {
    {"凌晨", PD_EARLY}, {"清晨", PD_MORNING}, {"早晨", PD_MORNING}, {"早上", PD_MORNING},
    {"上午", PD_MORNING}, {"中午", PD_NOON}, {"午间", PD_NOON}, {"下午", PD_AFTERNOON},
    {"傍晚", PD_DUSK}, {"晚上", PD_EVENING}, {"夜里", PD_EVENING}, {"夜间", PD_EVENING},
    {"半夜", PD_LATE}, {"深夜", PD_LATE},
    {"morning", PD_MORNING}, {"afternoon", PD_AFTERNOON}, {"evening", PD_DUSK},
    {"night", PD_EVENING},
};

/* Day + part of day in one word: offset * 16 + part. */
#define DPW(off, pd) (((off) + 4) * 16 + (pd))
static const struct pat__word DAY_PARTS[] = {
    {"今晚", DPW(0, PD_EVENING)}, {"今夜", DPW(0, PD_EVENING)}, {"明晚", DPW(1, PD_EVENING)},
    {"明夜", DPW(1, PD_EVENING)}, {"昨晚", DPW(-1, PD_EVENING)}, {"昨夜", DPW(-1, PD_EVENING)},
    {"今早", DPW(0, PD_MORNING)}, {"今晨", DPW(0, PD_MORNING)}, {"明早", DPW(1, PD_MORNING)},
    {"明晨", DPW(1, PD_MORNING)},
    {"tonight", DPW(0, PD_EVENING)}, {"tonite", DPW(0, PD_EVENING)},
    {"last night", DPW(-1, PD_EVENING)}, {"this morning", DPW(0, PD_MORNING)},
    {"this afternoon", DPW(0, PD_AFTERNOON)}, {"this evening", DPW(0, PD_DUSK)},
};

static const struct pat__word REL_DAYS[] = {
    {"大前天", -3}, {"前天", -2}, {"昨天", -1}, {"昨日", -1}, {"今天", 0}, {"今日", 0},
    {"明天", 1}, {"明日", 1}, {"后天", 2}, {"大后天", 3},
    {"today", 0}, {"tomorrow", 1}, {"tmr", 1}, {"tmrw", 1}, {"yesterday", -1},
    {"the day after tomorrow", 2}, {"the day before yesterday", -2},
};

static const struct pat__word MONTHS[] = {
    {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"may", 5}, {"jun", 6},
    {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
};
static const struct pat__word WEEKDAYS[] = {
    {"mon", 0}, {"tue", 1}, {"wed", 2}, {"thu", 3}, {"fri", 4}, {"sat", 5}, {"sun", 6},
};
// clang-format on

/* Read a small integer (digits or Chinese numerals). */
static int pat__int(const char *s, size_t n, int lo, int hi, int *out)
{
    double v;
    if (pat__number(s, n, &v) < 0 || v != floor(v) || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* The first three letters of an English month or weekday name. */
static int pat__en3(const struct pat__word *tab, size_t ntab, const char *s, size_t n)
{
    if (n < 3)
        return -1;
    return pat__lookup(tab, ntab, s, 3, -1);
}

/* The date nearest today with this month and day (see the file comment). */
static int pat__nearest_md(const struct pat__run *r, int m, int d, int64_t *day)
{
    int found = 0;
    int64_t best = 0;
    for (int y = r->ty - 1; y <= r->ty + 1; y++) {
        if (!valid_ymd(y, m, d))
            continue;
        int64_t k = days_from_civil(y, m, d);
        int64_t dist = k >= r->today ? k - r->today : r->today - k;
        int64_t bdist = best >= r->today ? best - r->today : r->today - best;
        if (y == r->ty && dist <= 183) {
            *day = k;
            return 0;
        }
        if (!found || dist < bdist || (dist == bdist && k > best)) {
            best = k;
            found = 1;
        }
    }
    if (!found)
        return -1;
    *day = best;
    return 0;
}

static int64_t pat__add_months(int64_t day, int months)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t idx = (int64_t)y * 12 + (m - 1) + months;
    y = (int)floor_div(idx, 12);
    m = (int)(idx - (int64_t)y * 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    return days_from_civil(y, m, d);
}

/* The date part of a time match; 1 if there was one, 0 if none, -1 bad. */
static int pat__day(struct pat__run *r, const struct pat__re *re, int64_t *day, int *pd)
{
    size_t gs, ge;
    int y, m, d, n;
    if (GRP(G_DZ) || GRP(G_DE)) {
        *day = r->today + LOOKUP(REL_DAYS, GTEXT, 0);
        return 1;
    }
    if (GRP(G_WDZ)) {
        const char *s = r->t + gs;
        int wd;
        if (is_digit(s[0]))
            wd = s[0] - '1';
        else if (memcmp(s, "日", 3) == 0 || memcmp(s, "天", 3) == 0)
            wd = 6;
        else if (pat__int(GTEXT, 1, 6, &wd) == 0)
            wd -= 1;
        else
            return -1;
        int64_t week = r->today - r->twd;
        if (GRP(G_WPZ)) {
            const char *w = r->t + gs;
            int k = 0;
            if (ge - gs >= 6 && memcmp(w, "下下", 6) == 0)
                k = 2;
            else if (ge - gs >= 6 && memcmp(w, "上上", 6) == 0)
                k = -2;
            else if (memcmp(w, "下", 3) == 0)
                k = 1;
            else if (memcmp(w, "上", 3) == 0)
                k = -1;
            *day = week + 7 * k + wd;
        } else {
            *day = r->today + (wd - r->twd + 7) % 7;
        }
        return 1;
    }
    if (GRP(G_WDE)) {
        int wd = pat__en3(WEEKDAYS, sizeof WEEKDAYS / sizeof WEEKDAYS[0], GTEXT);
        if (wd < 0)
            return -1;
        int64_t week = r->today - r->twd;
        if (GRP(G_WPE)) {
            char w = to_lower(r->t[gs]);
            if (w == 'n')
                *day = week + 7 + wd;
            else if (w == 'l')
                *day = week - 7 + wd;
            else if (w == 'c' || ge - gs > 4) /* coming, this coming: after today */
                *day = r->today + (wd - r->twd + 6) % 7 + 1;
            else
                *day = week + wd;
        } else {
            *day = r->today + (wd - r->twd + 7) % 7;
        }
        return 1;
    }
    if (GRP(G_Y1)) {
        if (pat__int(GTEXT, 1900, 2200, &y) < 0 || !GRP(G_M1) || pat__int(GTEXT, 1, 12, &m) < 0 ||
            !GRP(G_D1) || pat__int(GTEXT, 1, 31, &d) < 0 || !valid_ymd(y, m, d))
            return -1;
        *day = days_from_civil(y, m, d);
        return 1;
    }
    if (GRP(G_M2)) {
        if (pat__int(GTEXT, 1, 12, &m) < 0 || !GRP(G_D2) || pat__int(GTEXT, 1, 31, &d) < 0)
            return -1;
        if (GRP(G_Y2)) {
            if (pat__int(GTEXT, 0, 2200, &y) < 0)
                return -1;
            if (y < 100)
                y += 2000;
            if (!valid_ymd(y, m, d))
                return -1;
            *day = days_from_civil(y, m, d);
            return 1;
        }
        return pat__nearest_md(r, m, d, day) < 0 ? -1 : 1;
    }
    if (GRP(G_D3)) {
        if (pat__int(GTEXT, 1, 31, &d) < 0 || !GRP(G_MRZ))
            return -1;
        int k = memcmp(r->t + gs, "下", 3) == 0 ? 1 : memcmp(r->t + gs, "上", 3) == 0 ? -1 : 0;
        int64_t idx = (int64_t)r->ty * 12 + (r->tm - 1) + k;
        y = (int)floor_div(idx, 12);
        m = (int)(idx - (int64_t)y * 12) + 1;
        if (!valid_ymd(y, m, d))
            return -1;
        *day = days_from_civil(y, m, d);
        return 1;
    }
    if (GRP(G_D4)) { /* the nearest upcoming such day, today included */
        if (pat__int(GTEXT, 1, 31, &d) < 0)
            return -1;
        for (int k = 0; k < 3; k++) {
            int64_t idx = (int64_t)r->ty * 12 + (r->tm - 1) + k;
            y = (int)floor_div(idx, 12);
            m = (int)(idx - (int64_t)y * 12) + 1;
            if (valid_ymd(y, m, d) && (k > 0 || d >= r->td)) {
                *day = days_from_civil(y, m, d);
                return 1;
            }
        }
        return -1;
    }
    if (GRP(G_MN1) || GRP(G_MN2)) {
        m = pat__en3(MONTHS, sizeof MONTHS / sizeof MONTHS[0], GTEXT);
        if (m < 0 || !(GRP(G_D5) || GRP(G_D6)) || pat__int(GTEXT, 1, 31, &d) < 0)
            return -1;
        if (GRP(G_Y5) || GRP(G_Y6)) {
            if (pat__int(GTEXT, 1900, 2200, &y) < 0 || !valid_ymd(y, m, d))
                return -1;
            *day = days_from_civil(y, m, d);
            return 1;
        }
        return pat__nearest_md(r, m, d, day) < 0 ? -1 : 1;
    }
    if (GRP(G_NRZ) || GRP(G_NRE)) {
        if (pat__int(GTEXT, 0, 3660, &n) < 0)
            return -1;
        int sign = 1;
        if (GRP(G_DRZ)) {
            const char *w = r->t + gs;
            size_t wl = ge - gs;
            sign = memcmp(w + wl - 3, "前", 3) == 0 ? -1 : 1;
        } else if (GRP(G_DRE)) {
            sign = to_lower(r->t[gs]) == 'a' ? -1 : 1; /* ago */
        }
        int unit = 1; /* days; 7 weeks; 30 months */
        if (GRP(G_URZ)) {
            const char *w = r->t + gs;
            size_t wl = ge - gs;
            if (wl >= 3 && memcmp(w + wl - 3, "月", 3) == 0)
                unit = 30;
            else if (!(memcmp(w, "天", 3) == 0 || memcmp(w, "日", 3) == 0))
                unit = 7;
        } else if (GRP(G_URE)) {
            char u = to_lower(r->t[gs]);
            unit = u == 'm' ? 30 : u == 'w' ? 7 : 1;
        }
        if (unit == 30)
            *day = pat__add_months(r->today, sign * n);
        else
            *day = r->today + (int64_t)sign * n * unit;
        return 1;
    }
    if (GRP(G_DPZ) || GRP(G_DPE)) {
        int v = LOOKUP(DAY_PARTS, GTEXT, -1);
        if (v < 0)
            return -1;
        *day = r->today + (v / 16 - 4);
        *pd = v % 16;
        return 1;
    }
    return 0;
}

/* Hour of a clock said with a part of day; may be 24+ (after midnight). */
static int pat__pd_hour(int pd, int h)
{
    switch (pd) {
    case PD_NOON:
        return h >= 1 && h <= 5 ? h + 12 : h;
    case PD_AFTERNOON:
    case PD_DUSK:
        return h >= 1 && h <= 11 ? h + 12 : h;
    case PD_EVENING:
        if (h >= 5 && h <= 11)
            return h + 12;
        if (h == 12)
            return 24;
        return h >= 1 && h <= 4 ? h + 24 : h;
    case PD_LATE:
        if (h == 12)
            return 24;
        return h >= 9 && h <= 11 ? h + 12 : h;
    }
    return h;
}

static int pat__time(struct pat__run *r, const struct pat__re *re, struct pat__cand *c)
{
    size_t gs, ge;
    int64_t day = r->today;
    int pd = PD_NONE;
    int has_day = pat__day(r, re, &day, &pd);
    if (has_day < 0)
        return -1;
    int hour = -1, min = 0, sec = 0;
    if (GRP(G_PDZ) || GRP(G_PDE))
        pd = LOOKUP(PARTS_OF_DAY, GTEXT, PD_NONE);
    if (GRP(G_HZ)) {
        size_t hs = gs, he = ge;
        int h, context = has_day || pd != PD_NONE;
        if (pat__int(r->t + hs, he - hs, 0, 24, &h) < 0)
            return -1;
        if (GRP(G_HALFZ)) {
            min = 30;
            context = 1;
        } else if (GRP(G_QZ)) {
            min = memcmp(r->t + gs, "一", 3) == 0 ? 15 : 45;
            context = 1;
        } else if (GRP(G_MZ)) {
            if (pat__int(GTEXT, 0, 59, &min) < 0)
                return -1;
            context = 1;
        } else if (GRP(G_ZHONG)) {
            context = 1;
        }
        /* "便宜一点" is "a bit cheaper", not 01:00 */
        if (!context && he - hs == 3 && memcmp(r->t + hs, "一", 3) == 0)
            return -1;
        hour = pat__pd_hour(pd, h);
    } else if (GRP(G_HE) || GRP(G_HL)) { /* 3pm, 10:30 am; after a part of day: 8 */
        int h, strict = GRP(G_HE);
        if (!strict)
            GRP(G_HL);
        if (pat__int(GTEXT, 1, 12, &h) < 0)
            return -1;
        if (GRP(strict ? G_ME : G_ML) && pat__int(GTEXT, 0, 59, &min) < 0)
            return -1;
        if (GRP(strict ? G_AP : G_APL))
            hour = (h % 12) + (to_lower(r->t[gs]) == 'p' ? 12 : 0); /* 12am = 0, 12pm = 12 */
        else
            hour = pat__pd_hour(pd, h);
    } else if (GRP(G_HC)) {
        if (pat__int(GTEXT, 0, 24, &hour) < 0 || !GRP(G_MC) || pat__int(GTEXT, 0, 59, &min) < 0)
            return -1;
        if (GRP(G_SC) && pat__int(GTEXT, 0, 59, &sec) < 0)
            return -1;
        if (hour == 24 && (min || sec))
            return -1;
    } else if (GRP(G_NOON)) {
        hour = to_lower(r->t[gs + 1]) == 'i' ? 0 : 12; /* midnight; noon, midday */
    } else if (GRP(G_HOC)) {
        int h;
        if (pat__int(GTEXT, 1, 12, &h) < 0)
            return -1;
        hour = pat__pd_hour(pd, h);
    } else if (pd != PD_NONE) {
        hour = PD_HOUR[pd];
    }
    int y, m, d;
    if (hour < 0) {
        if (!has_day)
            return -1;
        civil_from_days(day, &y, &m, &d);
        c->type = T_DATE;
        snprintf(c->val, sizeof c->val, "\"%04d-%02d-%02d\"", y, m, d);
        return 0;
    }
    day += hour / 24;
    hour %= 24;
    civil_from_days(day, &y, &m, &d);
    int off = r->off_min < 0 ? -r->off_min : r->off_min;
    c->type = T_DATETIME;
    snprintf(c->val, sizeof c->val, "\"%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d\"", y, m, d, hour,
             min, sec, r->off_min < 0 ? '-' : '+', off / 60, off % 60);
    return 0;
}

static int pat__normalise(struct pat__run *r, const struct pat__re *re, struct pat__cand *c)
{
    int rc;
    c->upper = 0;
    c->val[0] = '\0';
    c->re = re;
    c->conf = 1.0;
    switch (re->kind) {
    case K_IDS:
        rc = pat__ids(r, re, c);
        break;
    case K_AMOUNT:
        rc = pat__amount(r, re, c);
        c->conf = 0.9;
        break;
    case K_TIME:
        rc = pat__time(r, re, c);
        c->conf = 0.9;
        break;
    default:
        c->type = re->type;
        c->upper = re->type == T_ORDER || re->type == T_TRACK;
        rc = 0;
    }
    if (rc < 0)
        return -1;
    if (re->kind != K_CUSTOM && (r->p->replaced >> c->type & 1u))
        return 1; /* a bot rule replaced this type: drop, but keep scanning after it */
    c->prio = TYPE_PRIO[c->type];
    return 0;
}

static size_t pat__next_char(const char *t, size_t len, size_t i)
{
    i++;
    while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80)
        i++;
    return i;
}

static void pat__scan(struct pat__run *r, const struct pat__re *re)
{
    size_t off = 0;
    while (off < r->len) {
        int rc = pcre2_match(re->code, (PCRE2_SPTR)r->t, r->len, off, PCRE2_NO_UTF_CHECK, r->md,
                             r->p->mctx);
        if (rc <= 0)
            return; /* no match, or a limit hit: stop this expression */
        r->rc = rc;
        r->ov = pcre2_get_ovector_pointer(r->md);
        size_t s = r->ov[0], e = r->ov[1];
        if (s >= e || e <= off || e > r->len) { /* empty, or \K games in a bot rule */
            off = pat__next_char(r->t, r->len, s > off ? s : off);
            continue;
        }
        struct pat__cand c;
        c.start = s;
        c.end = e;
        int nr = pat__touches(r->t, r->len, s, e) ? -1 : pat__normalise(r, re, &c);
        if (nr < 0) { /* rejected as a whole: "2月30日" is not "30日" either */
            off = e;
            continue;
        }
        if (nr == 0 && !pat__add(r, &c))
            return;
        off = e;
    }
}

static void pat__pii(struct pat__run *r)
{
    unsigned types = 0;
    static const struct {
        int type;
        unsigned bit;
    } map[] = {{T_PHONE, KF_PII_PHONE},
               {T_EMAIL, KF_PII_EMAIL},
               {T_ID_CARD, KF_PII_ID_CARD},
               {T_BANK_CARD, KF_PII_BANK_CARD}};
    for (size_t i = 0; i < 4; i++)
        if (!(r->p->replaced >> map[i].type & 1u))
            types |= map[i].bit;
    if (types == 0)
        return;
    size_t from = 0;
    while (from < r->len) {
        struct kf_pii_match m[32];
        size_t n = kf_pii_find(r->t + from, r->len - from, types, m, 32);
        for (size_t i = 0; i < n; i++) {
            struct pat__cand c = {0};
            c.start = from + m[i].start;
            c.end = from + m[i].end;
            for (size_t k = 0; k < 4; k++)
                if (map[k].bit == (unsigned)m[i].type)
                    c.type = map[k].type;
            c.prio = TYPE_PRIO[c.type];
            c.conf = 1.0;
            if (!pat__add(r, &c))
                return;
        }
        if (n < 32)
            return;
        from += m[n - 1].end;
    }
}

static int pat__cmp_start(const void *a, const void *b)
{
    const struct pat__cand *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return y->prio - x->prio;
}

/* Better of two overlapping candidates: longer, then higher priority,
 * then earlier. */
static int pat__better(const struct pat__cand *x, const struct pat__cand *y)
{
    size_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly)
        return lx > ly;
    if (x->prio != y->prio)
        return x->prio > y->prio;
    return x->start < y->start;
}

static char *pat__json_string(struct kf_arena *a, const char *s, size_t n, int upper)
{
    size_t need = 3;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        need += ch == '"' || ch == '\\' ? 2 : ch < 0x20 ? 6 : 1;
    }
    char *o = kf_arena_alloc(a, need);
    if (o == NULL)
        return NULL;
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            o[k++] = '\\';
            o[k++] = (char)ch;
        } else if (ch < 0x20) {
            snprintf(o + k, 7, "\\u%04x", ch);
            k += 6;
        } else {
            o[k++] = upper ? to_upper((char)ch) : (char)ch;
        }
    }
    o[k++] = '"';
    o[k] = '\0';
    return o;
}

static int pat__emit(struct pat__run *r, const struct pat__cand *c, struct kf_arena *a,
                     struct kf_entity *e)
{
    e->start = c->start;
    e->end = c->end;
    e->confidence = c->conf;
    e->source = KF_ENT_PATTERN;
    if (c->type == T_CUSTOM) {
        e->type = kf_arena_strdup(a, c->re->type_name);
        if (e->type == NULL)
            return -1;
    } else {
        e->type = TYPE_NAMES[c->type];
    }
    e->text = kf_arena_strndup(a, r->t + c->start, c->end - c->start);
    e->value = c->val[0] ? kf_arena_strdup(a, c->val)
                         : pat__json_string(a, r->t + c->start, c->end - c->start, c->upper);
    return e->text && e->value ? 0 : -1;
}

/* Overlaps: clusters of overlapping candidates in start order; in each,
 * the best candidate wins, then the best of those not touching it, ... */
static size_t pat__resolve(struct pat__run *r, struct kf_arena *a, struct kf_entity *out,
                           size_t max)
{
    qsort(r->c, r->n, sizeof *r->c, pat__cmp_start);
    size_t nout = 0;
    for (size_t i = 0; i < r->n && nout < max;) {
        size_t j = i + 1, cend = r->c[i].end;
        while (j < r->n && r->c[j].start < cend) {
            if (r->c[j].end > cend)
                cend = r->c[j].end;
            j++;
        }
        /* prio < 0 marks "decided": 1000 = kept, -1 = dropped */
        for (;;) {
            size_t best = j;
            for (size_t k = i; k < j; k++)
                if (r->c[k].prio >= 0 && r->c[k].prio < 1000 &&
                    (best == j || pat__better(&r->c[k], &r->c[best])))
                    best = k;
            if (best == j)
                break;
            r->c[best].prio = 1000;
            for (size_t k = i; k < j; k++)
                if (k != best && r->c[k].prio >= 0 && r->c[k].prio < 1000 &&
                    r->c[k].start < r->c[best].end && r->c[best].start < r->c[k].end)
                    r->c[k].prio = -1;
        }
        for (size_t k = i; k < j && nout < max; k++)
            if (r->c[k].prio == 1000) {
                if (pat__emit(r, &r->c[k], a, &out[nout]) < 0)
                    return nout;
                nout++;
            }
        i = j;
    }
    return nout;
}

size_t kf_patterns_extract(const struct kf_patterns *p, const char *text, size_t len,
                           struct kf_time_ref ref, struct kf_arena *a, struct kf_entity *out,
                           size_t max)
{
    if (p == NULL || text == NULL || a == NULL || out == NULL || max == 0 || len == 0)
        return 0;
    if (len > PAT_MAX_TEXT)
        len = kf_utf8_truncate(text, len, PAT_MAX_TEXT);
    if (!kf_utf8_valid(text, len))
        return 0;

    /* cheap prefilter: what kinds of characters are there at all */
    int digit = 0, alpha = 0, high = 0, at = 0, star = 0, bracket = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        digit |= ch >= '0' && ch <= '9';
        alpha |= (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z';
        high |= ch >= 0x80;
        at |= ch == '@';
        star |= ch == '*';
        bracket |= ch == '[';
    }

    struct pat__run r;
    r.p = p;
    r.t = text;
    r.len = len;
    r.c = r.local;
    r.n = 0;
    r.cap = sizeof r.local / sizeof r.local[0];
    int64_t local = ref.epoch_s + (int64_t)ref.utc_offset_min * 60;
    r.today = floor_div(local, 86400);
    civil_from_days(r.today, &r.ty, &r.tm, &r.td);
    r.twd = (int)(r.today + 3 - floor_div(r.today + 3, 7) * 7);
    r.off_min = ref.utc_offset_min;
    r.md = pcre2_match_data_create(p->ovec_pairs, p->gctx);
    if (r.md == NULL)
        return 0;

    if (digit || at)
        pat__pii(&r);
    if (p->builtin[K_IDS].code && (digit || (star && at) || bracket))
        pat__scan(&r, &p->builtin[K_IDS]);
    if (p->builtin[K_AMOUNT].code && (digit || high || alpha))
        pat__scan(&r, &p->builtin[K_AMOUNT]);
    if (p->builtin[K_TIME].code && (digit || high || alpha))
        pat__scan(&r, &p->builtin[K_TIME]);
    for (size_t i = 0; i < p->ncustom; i++)
        pat__scan(&r, &p->custom[i]);
    pcre2_match_data_free(r.md);

    size_t n = pat__resolve(&r, a, out, max);
    if (r.c != r.local)
        kf_free(r.c);
    return n;
}

/* ---- building --------------------------------------------------------- */

static void *pat__malloc(PCRE2_SIZE size, void *data)
{
    (void)data;
    return kf_malloc(size);
}

static void pat__free(void *ptr, void *data)
{
    (void)data;
    kf_free(ptr);
}

struct kf_patterns_params kf_patterns_default_params(void)
{
    return (struct kf_patterns_params){NULL, 0};
}

/* Compile one expression and index its named groups. */
static int pat__compile(struct kf_patterns *p, struct pat__re *re, const char *src,
                        uint32_t options, const char *what, struct kf_err *err)
{
    int code;
    PCRE2_SIZE erroff;
    re->code =
        pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, options, &code, &erroff, p->cctx);
    if (re->code == NULL) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        if (code == PCRE2_ERROR_NOMEMORY || code == PCRE2_ERROR_HEAP_FAILED)
            return kf_errorf(err, KF_ENOMEM, "patterns: %s: out of memory", what);
        return kf_errorf(err, re->kind == K_CUSTOM ? KF_EINVAL : KF_EINTERNAL,
                         "patterns: %s: %s at offset %zu", what, (char *)msg, (size_t)erroff);
    }
    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* the interpreter if JIT is missing */
    uint32_t ncap = 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
    if (ncap + 1 > p->ovec_pairs)
        p->ovec_pairs = ncap + 1;
    if (re->kind == K_CUSTOM)
        return KF_OK;
    for (int g = 0; g < G_COUNT; g++) {
        PCRE2_SPTR first, last;
        int size =
            pcre2_substring_nametable_scan(re->code, (PCRE2_SPTR)GROUP_NAMES[g], &first, &last);
        if (size <= 0)
            continue;
        for (PCRE2_SPTR e = first; e <= last; e += size) {
            if (re->ngroups[g] == PAT_MAXDUP)
                return kf_errorf(err, KF_EINTERNAL, "patterns: group %s repeated too often",
                                 GROUP_NAMES[g]);
            re->groups[g][re->ngroups[g]++] = (uint16_t)((e[0] << 8) | e[1]);
        }
    }
    return KF_OK;
}

/* EDGE (piece | piece ...) EDGE over the pieces whose type is not replaced. */
static int pat__build(struct kf_patterns *p, enum pat__kind kind, const struct pat__piece *pc,
                      size_t npc, struct kf_err *err)
{
    struct pat__re *re = &p->builtin[kind];
    re->kind = kind;
    size_t need = 2 * sizeof EDGE + strlen(FIRST[kind]) + 8;
    int any = 0;
    for (size_t i = 0; i < npc; i++) {
        int on = kind == K_TIME ? (p->replaced & (1u << T_DATE | 1u << T_DATETIME)) !=
                                      (1u << T_DATE | 1u << T_DATETIME)
                                : !(p->replaced >> pc[i].type & 1u);
        if (on) {
            need += strlen(pc[i].re) + 1;
            any = 1;
        }
    }
    if (!any)
        return KF_OK;
    char *src = kf_malloc(need);
    if (src == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t k = 0;
    k += (size_t)snprintf(src + k, need - k, "%s%s(?:", FIRST[kind], EDGE);
    int first = 1;
    for (size_t i = 0; i < npc; i++) {
        if (kind != K_TIME && (p->replaced >> pc[i].type & 1u))
            continue;
        k += (size_t)snprintf(src + k, need - k, "%s%s", first ? "" : "|", pc[i].re);
        first = 0;
    }
    snprintf(src + k, need - k, ")%s", EDGE);
    static const char *const names[] = {"ids", "amounts", "times"};
    int rc = pat__compile(p, re, src, PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES,
                          names[kind], err);
    kf_free(src);
    return rc;
}

static int pat__builtin_type(const char *name)
{
    for (int t = 0; t < T_COUNT; t++)
        if (strcmp(TYPE_NAMES[t], name) == 0)
            return t;
    return -1;
}

int kf_patterns_new(struct kf_patterns_params params, struct kf_patterns **out, struct kf_err *err)
{
    if (out == NULL)
        return kf_errorf(err, KF_EINVAL, "patterns: no output pointer");
    *out = NULL;
    if (params.nrules > 0 && params.rules == NULL)
        return kf_errorf(err, KF_EINVAL, "patterns: %zu rules but no rule array", params.nrules);
    struct kf_patterns *p = kf_calloc(1, sizeof *p);
    if (p == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = KF_OK;
    p->gctx = pcre2_general_context_create(pat__malloc, pat__free, NULL);
    p->cctx = p->gctx ? pcre2_compile_context_create(p->gctx) : NULL;
    p->mctx = p->gctx ? pcre2_match_context_create(p->gctx) : NULL;
    if (p->mctx == NULL || p->cctx == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto fail;
    }
    /* a bot's expression must not take a 64 KiB message forever */
    pcre2_set_match_limit(p->mctx, 2000000);
    pcre2_set_depth_limit(p->mctx, 10000);

    if (params.nrules > 0) {
        p->custom = kf_calloc(params.nrules, sizeof *p->custom);
        if (p->custom == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (size_t i = 0; i < params.nrules; i++) {
        const struct kf_pattern_rule *rule = &params.rules[i];
        if (rule->type == NULL || rule->type[0] == '\0' || strlen(rule->type) > 63 ||
            rule->regex == NULL) {
            rc = kf_errorf(err, KF_EINVAL,
                           "patterns: rule %zu needs a type (1-63 bytes) and a regex", i + 1);
            goto fail;
        }
        struct pat__re *re = &p->custom[p->ncustom];
        re->kind = K_CUSTOM;
        int bt = pat__builtin_type(rule->type);
        re->type = bt >= 0 ? bt : T_CUSTOM;
        re->type_name = kf_strdup(rule->type);
        if (re->type_name == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            goto fail;
        }
        p->ncustom++;
        char what[96];
        snprintf(what, sizeof what, "rule %zu (type %s)", i + 1, rule->type);
        rc = pat__compile(p, re, rule->regex, PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, what,
                          err);
        if (rc < 0)
            goto fail;
        if (bt >= 0)
            p->replaced |= 1u << bt;
    }
    if ((rc = pat__build(p, K_IDS, IDS, sizeof IDS / sizeof IDS[0], err)) < 0 ||
        (rc = pat__build(p, K_AMOUNT, AMOUNTS, sizeof AMOUNTS / sizeof AMOUNTS[0], err)) < 0 ||
        (rc = pat__build(p, K_TIME, TIMES, sizeof TIMES / sizeof TIMES[0], err)) < 0)
        goto fail;
    *out = p;
    return KF_OK;
fail:
    kf_patterns_free(p);
    return rc;
}

void kf_patterns_free(struct kf_patterns *p)
{
    if (p == NULL)
        return;
    for (int k = 0; k < 3; k++)
        pcre2_code_free(p->builtin[k].code);
    for (size_t i = 0; i < p->ncustom; i++) {
        pcre2_code_free(p->custom[i].code);
        kf_free(p->custom[i].type_name);
    }
    kf_free(p->custom);
    pcre2_match_context_free(p->mctx);
    pcre2_compile_context_free(p->cctx);
    pcre2_general_context_free(p->gctx);
    kf_free(p);
}
