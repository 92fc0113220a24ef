/*
 * pii_address.c — postal addresses in customer text (pii.h, type address).
 *
 * Precision first: a place name alone ("我在北京", "上海发货吗", "Baker Street
 * is nice") or a number with a marker that is no address ("3号线") must not
 * match, so a match needs a street-level part.
 *
 * Chinese, a small grammar tried at each start (leftmost wins):
 *
 *   address  := admin* (street house | estate? units) tail
 *   admin    := name{1,5} (自治区|自治州|自治县|特别行政区|新区|省|市|区|县|州|盟|旗)
 *             | name{1,5} (街道|镇|乡)                 (finer: masked)
 *             | province name without suffix            (上海浦东新区)
 *   street   := name{1,8} (大道|大街|胡同|路|街|巷|弄|道*)   (*: after an admin)
 *   house    := (number (号院|号|弄)){1,3}               (张江路100弄5号)
 *   units    := (label (号楼|栋|幢|单元|室|号|座|楼|层|塔|户|期|区)){1,6} [number]
 *   tail     := (units | name…marker | room number)*    (SOHO现代城A座1201室)
 *
 * `name` characters are Han ideographs that are not in STOP: pronouns,
 * particles and the verbs that introduce an address (我, 的, 在, 住, 寄, 到,
 * 是, 址, ...), which is what finds the left edge in text without spaces
 * ("寄到北京市..." starts at 北). A first admin unit that contains a province
 * name after its first character ("公司北京市") is rejected so the match
 * starts at the province. Without a street, units need a strong marker
 * (号楼/栋/幢/单元/室) and an admin unit, an estate name or two units.
 * part_start (what the mask policy keeps) is the end of the leading run of
 * province/city/district units.
 *
 * English: [unit ","] number name{1,4} suffix ["," unit]* ["," locality]{0,3}
 * with suffix St/Street/Ave/Road/Blvd/Lane/Drive/Way/Parkway/Court/Place/...,
 * unit Apt/Suite/Unit/Flat/Room/Floor/# + label, locality a town of 1-3
 * capitalised words, a state + ZIP, a ZIP or a UK postcode. Name words may
 * be lower case only before an unambiguous suffix (street, avenue, road...),
 * and never common words ("5 more blocks down the road" is no address).
 * part_end (what the mask policy hides) is the end of the street and units.
 *
 * Cost: every Chinese address holds an anchor (a street marker followed by
 * a house number, or a label followed by 号楼/栋/幢/单元/室), found by one
 * forward scan (kf__pii_address_next_anchor); the parse is only tried at
 * starts up to 240 bytes before one, so ordinary text costs one pass.
 */
#include <stdint.h>
#include <string.h>

#include "kefu/utf8.h"
#include "pii_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- characters ------------------------------------------------------- */

static uint32_t cp_at(const char *t, size_t len, size_t p, size_t *n)
{
    if (p >= len) {
        *n = 0;
        return 0;
    }
    uint32_t cp;
    int k = kf_utf8_decode(t + p, len - p, &cp);
    if (k <= 0) {
        *n = 1;
        return 0xFFFD;
    }
    *n = (size_t)k;
    return cp;
}

/* cp is one of the characters of a UTF-8 string (for rare checks). */
static int in_str(uint32_t cp, const char *set)
{
    if (cp < 0x80)
        return 0;
    char enc[5];
    int n = kf_utf8_encode(cp, enc);
    if (n <= 0)
        return 0;
    enc[n] = '\0';
    return strstr(set, enc) != NULL;
}

/* cp is in a sorted table of code points (for checks on every character). */
static int in_set(uint32_t cp, const uint32_t *set, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (set[mid] == cp)
            return 1;
        if (set[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Character tables as sorted code points; the characters are in the comments.
 * STOP: never part of an admin, street or estate name — pronouns, particles
 * and the verbs that introduce an address. */
static const uint32_t STOP[] = {
    /* 与也了从他们住你写到去及叫吗吧呀呢哪啊在址填她它寄就帮往得您想我或找把换收改是条来的给被要让说请谢货跟还这送那问
     */
    0x4E0E, 0x4E5F, 0x4E86, 0x4ECE, 0x4ED6, 0x4EEC, 0x4F4F, 0x4F60, 0x5199, 0x5230, 0x53BB, 0x53CA,
    0x53EB, 0x5417, 0x5427, 0x5440, 0x5462, 0x54EA, 0x554A, 0x5728, 0x5740, 0x586B, 0x5979, 0x5B83,
    0x5BC4, 0x5C31, 0x5E2E, 0x5F80, 0x5F97, 0x60A8, 0x60F3, 0x6211, 0x6216, 0x627E, 0x628A, 0x6362,
    0x6536, 0x6539, 0x662F, 0x6761, 0x6765, 0x7684, 0x7ED9, 0x88AB, 0x8981, 0x8BA9, 0x8BF4, 0x8BF7,
    0x8C22, 0x8D27, 0x8DDF, 0x8FD8, 0x8FD9, 0x9001, 0x90A3, 0x95EE,
};
/* TAIL_STOP: never part of a name after the house number (the right edge). */
static const uint32_t TAIL_STOP[] = {
    /* 个也了从他们但你到吗吧呀呢和啊在她它寄对就帮您想我或把收旁是有的给要请谢边近还送都附面 */
    0x4E2A, 0x4E5F, 0x4E86, 0x4ECE, 0x4ED6, 0x4EEC, 0x4F46, 0x4F60, 0x5230, 0x5417, 0x5427,
    0x5440, 0x5462, 0x548C, 0x554A, 0x5728, 0x5979, 0x5B83, 0x5BC4, 0x5BF9, 0x5C31, 0x5E2E,
    0x60A8, 0x60F3, 0x6211, 0x6216, 0x628A, 0x6536, 0x65C1, 0x662F, 0x6709, 0x7684, 0x7ED9,
    0x8981, 0x8BF7, 0x8C22, 0x8FB9, 0x8FD1, 0x8FD8, 0x9001, 0x90FD, 0x9644, 0x9762,
};
static const uint32_t CN_NUM[] = {
    /* 〇一七三两九二五八六十千四百零 */
    0x3007, 0x4E00, 0x4E03, 0x4E09, 0x4E24, 0x4E5D, 0x4E8C, 0x4E94,
    0x516B, 0x516D, 0x5341, 0x5343, 0x56DB, 0x767E, 0x96F6,
};
/* the last character of every street marker (路 街 道 巷 弄 胡同 大道 大街) */
static const uint32_t STREET_END[] = {
    /* 同巷弄街路道 */
    0x540C, 0x5DF7, 0x5F04, 0x8857, 0x8DEF, 0x9053,
};

static const char *const ADMIN_COARSE[] = {
    "自治区", "自治州", "自治县", "特别行政区", "新区", "省", "市", "区", "县", "州", "盟", "旗"};
static const char *const ADMIN_FINE[] = {"街道", "镇", "乡"};
static const char *const PROVINCES[] = {"北京", "天津",   "上海", "重庆", "河北", "山西", "辽宁",
                                        "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
                                        "山东", "河南",   "湖北", "湖南", "广东", "海南", "四川",
                                        "贵州", "云南",   "陕西", "甘肃", "青海", "台湾", "内蒙古",
                                        "广西", "西藏",   "宁夏", "新疆", "香港", "澳门"};
static const char *const STREET[] = {"大道", "大街", "胡同", "路", "街", "巷", "弄", "道"};
/* all but a bare 道, which needs an admin unit before it (天津市和平区睦南道20号),
 * else 知道/频道/通道 3号 would be streets */
#define N_STREET_PLAIN 7
static const char *const HOUSE[] = {"号院", "号", "弄"};
static const char *const UNIT_STRONG[] = {"号楼", "栋", "幢", "单元", "室"};
static const char *const UNIT_WEAK[] = {"号", "座", "楼", "层", "塔", "户", "期", "区"};
static const char *const ESTATE[] = {"小区", "花园", "公寓", "家园", "大厦", "广场", "中心",
                                     "大楼", "社区", "宿舍", "新村", "苑",   "园",   "城",
                                     "村",   "院",   "座",   "塔",   "楼"};

static int a_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int a_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static int a_alpha(char c)
{
    return a_upper(c) || (c >= 'a' && c <= 'z');
}
static int a_alnum(char c)
{
    return a_digit(c) || a_alpha(c);
}
static char a_lower(char c)
{
    return a_upper(c) ? (char)(c + 32) : c;
}

static int w_digit(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19);
}
static int w_letter(uint32_t c)
{
    return (c < 0x80 && a_alpha((char)c)) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A);
}
static int name_char(uint32_t c)
{
    return kf_utf8_is_han(c) && !in_set(c, STOP, N(STOP));
}
static int estate_char(uint32_t c)
{
    return name_char(c) || w_letter(c) || w_digit(c);
}
static int tail_char(uint32_t c)
{
    return (kf_utf8_is_han(c) && !in_set(c, TAIL_STOP, N(TAIL_STOP))) || w_letter(c) || w_digit(c);
}

/* ---- Chinese ---------------------------------------------------------- */

struct zh {
    const char *t;
    size_t len;
};

static size_t lit(const struct zh *z, size_t p, const char *s)
{
    size_t n = strlen(s);
    return p + n <= z->len && memcmp(z->t + p, s, n) == 0 ? p + n : 0;
}

static size_t lit_any(const struct zh *z, size_t p, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t r = lit(z, p, list[i]);
        if (r)
            return r;
    }
    return 0;
}

/* One optional space (ASCII or ideographic) between parts. */
static size_t zh_space(const struct zh *z, size_t p)
{
    size_t n;
    uint32_t c = cp_at(z->t, z->len, p, &n);
    return c == ' ' || c == 0x3000 ? p + n : p;
}

/* p advanced over exactly k name characters, or 0. */
static size_t zh_names(const struct zh *z, size_t p, int k)
{
    for (int i = 0; i < k; i++) {
        size_t n;
        if (!name_char(cp_at(z->t, z->len, p, &n)))
            return 0;
        p += n;
    }
    return p;
}

/* A house or room number: 1-6 digits (ASCII or full-width), "-digits"
 * allowed, or 1-6 Chinese numerals; 0 if none or longer. */
static size_t zh_num(const struct zh *z, size_t p)
{
    size_t n, q = p;
    uint32_t c = cp_at(z->t, z->len, q, &n);
    int k = 0;
    if (w_digit(c)) {
        while (w_digit(c) && k <= 6) {
            q += n;
            k++;
            c = cp_at(z->t, z->len, q, &n);
        }
        if (k > 6)
            return 0;
        if (c == '-') {
            size_t r = q + 1;
            int j = 0;
            while (w_digit(cp_at(z->t, z->len, r, &n)) && j < 6) {
                r += n;
                j++;
            }
            if (j > 0)
                q = r;
        }
        return q;
    }
    while (in_set(c, CN_NUM, N(CN_NUM)) && k < 6) {
        q += n;
        k++;
        c = cp_at(z->t, z->len, q, &n);
    }
    return k ? q : 0;
}

/* A building or room label: 1-6 letters/digits (A, T1, 12B, 3-302) or Chinese
 * numerals; *digits_only tells a bare number. */
static size_t zh_label(const struct zh *z, size_t p, int *digits_only)
{
    size_t n, q = p;
    uint32_t c = cp_at(z->t, z->len, q, &n);
    int k = 0;
    *digits_only = 1;
    while ((w_digit(c) || w_letter(c) || (c == '-' && k > 0)) && k <= 6) {
        if (!w_digit(c))
            *digits_only = 0;
        q += n;
        k++;
        c = cp_at(z->t, z->len, q, &n);
    }
    if (k > 6)
        return 0;
    if (k > 0)
        return z->t[q - 1] == '-' ? 0 : q;
    *digits_only = 0;
    return zh_num(z, p);
}

static size_t zh_house(const struct zh *z, size_t p)
{
    int n = 0;
    while (n < 3) {
        size_t q = zh_num(z, p);
        size_t r = q ? lit_any(z, q, HOUSE, N(HOUSE)) : 0;
        if (!r)
            break;
        p = r;
        n++;
    }
    return n ? p : 0;
}

/* A street and its house number; the end, or 0. */
static size_t zh_street_house(const struct zh *z, size_t p, int have_admin)
{
    size_t nstreet = have_admin ? N(STREET) : N_STREET_PLAIN;
    size_t q = p;
    for (int k = 1; k <= 8; k++) {
        size_t n;
        if (!name_char(cp_at(z->t, z->len, q, &n)))
            return 0;
        q += n;
        for (size_t s = 0; s < nstreet; s++) {
            size_t r = lit(z, q, STREET[s]);
            if (!r)
                continue;
            size_t sec = zh_num(z, r); /* a section: 人民南路四段1号 */
            if (sec && lit(z, sec, "段"))
                r = lit(z, sec, "段");
            size_t h = zh_house(z, zh_space(z, r));
            if (h)
                return h;
        }
    }
    return 0;
}

static int not_alnum_at(const struct zh *z, size_t p)
{
    size_t n;
    uint32_t c = cp_at(z->t, z->len, p, &n);
    return !(w_digit(c) || w_letter(c));
}

/* label + marker, repeated; *strong counts 号楼/栋/幢/单元/室. */
static size_t zh_units(const struct zh *z, size_t p, int *strong, int *count)
{
    *strong = *count = 0;
    while (*count < 6) {
        int bare;
        size_t q = zh_label(z, p, &bare);
        if (!q)
            break;
        size_t r = lit_any(z, q, UNIT_STRONG, N(UNIT_STRONG));
        if (r) {
            (*strong)++;
        } else if (!(r = lit_any(z, q, UNIT_WEAK, N(UNIT_WEAK)))) {
            /* a bare room number closes the units: 3号楼2单元501 */
            if (*count > 0 && bare && not_alnum_at(z, q)) {
                p = q;
                (*count)++;
            }
            break;
        }
        p = r;
        (*count)++;
    }
    return *count ? p : 0;
}

static int ends_with_any(const struct zh *z, size_t from, size_t end, const char *const *list,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (end - from >= l && memcmp(z->t + end - l, list[i], l) == 0)
            return 1;
    }
    return 0;
}

/* Longest run of up to 12 tail characters that ends in a place marker. */
static size_t zh_tail_name(const struct zh *z, size_t p)
{
    size_t ends[12], q = p;
    int k = 0;
    while (k < 12) {
        size_t n;
        if (!tail_char(cp_at(z->t, z->len, q, &n)))
            break;
        q += n;
        ends[k++] = q;
    }
    for (int i = k - 1; i >= 0; i--)
        if (ends_with_any(z, p, ends[i], ESTATE, N(ESTATE)) ||
            ends_with_any(z, p, ends[i], UNIT_STRONG, N(UNIT_STRONG)) ||
            ends_with_any(z, p, ends[i], UNIT_WEAK, N(UNIT_WEAK)))
            return ends[i];
    return 0;
}

static size_t zh_tail(const struct zh *z, size_t p)
{
    for (int seg = 0; seg < 8; seg++) {
        size_t q = zh_space(z, p);
        int strong, count, bare;
        size_t r = zh_units(z, q, &strong, &count);
        if (!r)
            r = zh_tail_name(z, q);
        if (!r && q == p) { /* a room number right after: 张江路100弄5号302 */
            size_t e = zh_label(z, q, &bare);
            if (e && bare && not_alnum_at(z, e))
                r = e;
        }
        if (!r)
            break;
        p = r;
    }
    return p;
}

/* Units without a street: after an estate name, or after admin units, or
 * two of them (3号楼2单元); a strong marker either way. */
static size_t zh_building(const struct zh *z, size_t p, int have_admin)
{
    int strong, count;
    size_t q = p;
    for (int k = 1; k <= 10; k++) {
        size_t n;
        if (!estate_char(cp_at(z->t, z->len, q, &n)))
            break;
        q += n;
        for (size_t e = 0; e < N(ESTATE); e++) {
            size_t r = lit(z, q, ESTATE[e]);
            size_t u = r ? zh_units(z, r, &strong, &count) : 0;
            if (u && strong)
                return u;
        }
    }
    size_t u = zh_units(z, p, &strong, &count);
    return u && strong && (have_admin || count >= 2) ? u : 0;
}

/* A province name inside [from, to) after its first character. */
static int zh_province_inside(const struct zh *z, size_t from, size_t to)
{
    size_t n;
    cp_at(z->t, z->len, from, &n);
    for (size_t b = from + n; b < to; b++) {
        if (((unsigned char)z->t[b] & 0xC0) == 0x80)
            continue;
        for (size_t i = 0; i < N(PROVINCES); i++) {
            size_t r = lit(z, b, PROVINCES[i]);
            if (r && r <= to)
                return 1;
        }
    }
    return 0;
}

/* Words that end like an admin unit but are none: 小区, 社区, 校区, 景区,
 * 超市, 菜市, 夜市 (`e` is where the suffix starts, r where it ends). */
static int zh_not_admin(const struct zh *z, size_t e, size_t r)
{
    size_t b = e;
    do
        b--;
    while (b > 0 && ((unsigned char)z->t[b] & 0xC0) == 0x80);
    size_t n;
    uint32_t before = cp_at(z->t, z->len, b, &n);
    if (lit(z, e, "区") == r)
        return in_str(before, "小社校景厂营院片矿园");
    if (lit(z, e, "市") == r)
        return in_str(before, "超菜夜股门");
    return 0;
}

/* The rest of an address from p, after `depth` admin units; keep is the end
 * of the leading province/city/district run (fine: a finer unit was seen). */
static int zh_from(const struct zh *z, size_t start, size_t p, int depth, size_t keep, int fine,
                   struct kf_pii_match *m)
{
    size_t q = depth > 0 ? zh_space(z, p) : p;
    if (depth < 6) {
        for (int k = 1; k <= 5; k++) {
            size_t e = zh_names(z, q, k);
            if (!e)
                break;
            if (depth == 0 && k >= 3 && zh_province_inside(z, q, e))
                continue;
            size_t r = lit_any(z, e, ADMIN_COARSE, N(ADMIN_COARSE));
            if (r && zh_not_admin(z, e, r))
                r = 0;
            if (r && zh_from(z, start, r, depth + 1, fine ? keep : r, fine, m))
                return 1;
            r = lit_any(z, e, ADMIN_FINE, N(ADMIN_FINE));
            if (r && zh_from(z, start, r, depth + 1, keep, 1, m))
                return 1;
        }
        size_t r = lit_any(z, q, PROVINCES, N(PROVINCES));
        if (r && zh_from(z, start, r, depth + 1, fine ? keep : r, fine, m))
            return 1;
    }
    size_t e = zh_street_house(z, q, depth > 0);
    if (!e)
        e = zh_building(z, q, depth > 0);
    if (!e)
        return 0;
    e = zh_tail(z, e);
    *m = (struct kf_pii_match){KF_PII_ADDRESS, start, e, keep, e};
    return 1;
}

/* ---- English ---------------------------------------------------------- */

static const char *const EN_STRONG[] = {"street",    "st",   "avenue",  "ave", "road",  "rd",
                                        "boulevard", "blvd", "lane",    "ln",  "drive", "dr",
                                        "parkway",   "pkwy", "highway", "hwy"};
static const char *const EN_WEAK[] = {"way",      "court",   "ct",  "place",  "pl",    "square",
                                      "sq",       "terrace", "ter", "circle", "cir",   "close",
                                      "crescent", "cres",    "row", "plaza",  "alley", "trail",
                                      "gardens",  "mews",    "loop"};
static const char *const EN_STOP[] = {
    "the",   "a",      "an",    "to",      "of",     "my",    "your",   "our",    "his",
    "her",   "their",  "its",   "this",    "that",   "these", "those",  "and",    "or",
    "but",   "in",     "on",    "at",      "for",    "from",  "with",   "by",     "is",
    "are",   "was",    "were",  "be",      "more",   "less",  "some",   "any",    "all",
    "no",    "not",    "very",  "each",    "every",  "per",   "than",   "then",   "days",
    "day",   "hours",  "hour",  "minutes", "weeks",  "week",  "months", "month",  "years",
    "year",  "times",  "items", "item",    "pieces", "pcs",   "orders", "order",  "dollars",
    "usd",   "yuan",   "rmb",   "kg",      "km",     "miles", "mile",   "blocks", "block",
    "steps", "people", "it",    "i",       "me",     "we",    "you",    "get",    "got",
    "have",  "has",    "had",   "do",      "does",   "did",   "will",   "can",    "may",
    "just",  "only",   "also",  "about",   "over",   "under", "after",  "before", "into",
    "out",   "up",     "down",  "other",   "same",   "new",   "old",    "one",    "two"};
static const char *const EN_UNIT[] = {"apt",  "apartment", "suite", "ste",   "unit",
                                      "flat", "room",      "rm",    "floor", "fl"};
static const char *const EN_NOT_TOWN[] = {"thanks", "thank", "please", "and", "but",   "so",
                                          "thx",    "ok",    "okay",   "hi",  "hello", "i",
                                          "we",     "you",   "it",     "the", "is"};

static int en_word_is(const char *t, size_t p, size_t e, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]);
        if (l != e - p)
            continue;
        size_t k = 0;
        while (k < l && a_lower(t[p + k]) == list[i][k])
            k++;
        if (k == l)
            return 1;
    }
    return 0;
}

/* [A-Za-z] followed by letters, inner ' or - ; or an ordinal (5th, 42nd). */
static size_t en_word(const char *t, size_t len, size_t p)
{
    size_t q = p;
    if (q < len && a_digit(t[q])) {
        while (q < len && a_digit(t[q]) && q - p < 4)
            q++;
        if (q + 2 > len)
            return 0;
        char a = a_lower(t[q]), b = a_lower(t[q + 1]);
        if (!((a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
              (a == 't' && b == 'h')))
            return 0;
        q += 2;
        return q < len && a_alnum(t[q]) ? 0 : q;
    }
    if (q >= len || !a_alpha(t[q]))
        return 0;
    while (q < len &&
           (a_alpha(t[q]) || ((t[q] == '\'' || t[q] == '-') && q + 1 < len && a_alpha(t[q + 1]))))
        q++;
    return q < len && a_digit(t[q]) ? 0 : q;
}

/* House number: 1-6 digits, then a letter (221B) or -digits. */
static size_t en_number(const char *t, size_t len, size_t p)
{
    size_t q = p;
    while (q < len && a_digit(t[q]) && q - p <= 6)
        q++;
    if (q == p || q - p > 6)
        return 0;
    if (q < len && a_alpha(t[q]) && (q + 1 >= len || !a_alnum(t[q + 1])))
        q++;
    else if (q + 1 < len && t[q] == '-' && a_digit(t[q + 1])) {
        q++;
        while (q < len && a_digit(t[q]))
            q++;
    }
    return q < len && a_alnum(t[q]) ? 0 : q;
}

static size_t en_street(const char *t, size_t len, size_t p)
{
    size_t q = en_number(t, len, p);
    if (!q || q >= len || t[q] != ' ')
        return 0;
    q++;
    int words = 0, lower = 0;
    for (;;) {
        size_t e = en_word(t, len, q);
        if (!e)
            return 0;
        if (words >= 1) {
            int strong = en_word_is(t, q, e, EN_STRONG, N(EN_STRONG));
            if (strong || en_word_is(t, q, e, EN_WEAK, N(EN_WEAK))) {
                if (lower && !strong)
                    return 0;
                if (e < len && t[e] == '.')
                    e++;
                return e;
            }
        }
        if (words == 4 || en_word_is(t, q, e, EN_STOP, N(EN_STOP)))
            return 0;
        if (!a_upper(t[q]) && !a_digit(t[q]))
            lower = 1;
        words++;
        if (e >= len || t[e] != ' ')
            return 0;
        q = e + 1;
    }
}

/* A unit: Apt 5, Suite 100, Unit 3B, Flat 2, Room 101, Floor 3, #12. */
static size_t en_unit(const char *t, size_t len, size_t p)
{
    size_t q = p;
    if (q < len && t[q] == '#') {
        q++;
    } else {
        size_t e = en_word(t, len, q);
        if (!e || !en_word_is(t, q, e, EN_UNIT, N(EN_UNIT)))
            return 0;
        q = e;
        if (q < len && t[q] == '.')
            q++;
        if (q < len && t[q] == ' ')
            q++;
        if (q < len && t[q] == '#')
            q++;
    }
    size_t s = q;
    int digit = 0;
    while (q < len && (a_alnum(t[q]) || (t[q] == '-' && q > s)) && q - s < 7) {
        digit |= a_digit(t[q]);
        q++;
    }
    if (q == s || q - s > 6 || (q < len && a_alnum(t[q])))
        return 0;
    return digit || q - s == 1 ? q : 0;
}

/* ZIP 12345 or 12345-6789 */
static size_t en_zip(const char *t, size_t len, size_t p)
{
    size_t q = p;
    while (q < len && a_digit(t[q]) && q - p < 6)
        q++;
    if (q - p != 5)
        return 0;
    if (q + 4 < len && t[q] == '-' && a_digit(t[q + 1]) && a_digit(t[q + 2]) && a_digit(t[q + 3]) &&
        a_digit(t[q + 4]))
        q += 5;
    return q < len && a_alnum(t[q]) ? 0 : q;
}

/* State code (CA) with an optional ZIP, a ZIP, or a UK postcode (NW1 6XE). */
static size_t en_region(const char *t, size_t len, size_t p)
{
    size_t z = en_zip(t, len, p);
    if (z)
        return z;
    if (p + 2 <= len && a_upper(t[p]) && a_upper(t[p + 1]) &&
        (p + 2 == len || !a_alnum(t[p + 2]))) {
        if (p + 3 < len && t[p + 2] == ' ' && (z = en_zip(t, len, p + 3)))
            return z;
        return p + 2;
    }
    /* UK postcode: A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA */
    size_t q = p;
    int letters = 0;
    while (q < len && a_upper(t[q]) && letters < 2) {
        q++;
        letters++;
    }
    if (letters == 0 || q >= len || !a_digit(t[q]))
        return 0;
    q++;
    if (q < len && (a_digit(t[q]) || a_upper(t[q])))
        q++;
    if (q + 4 > len || t[q] != ' ' || !a_digit(t[q + 1]) || !a_upper(t[q + 2]) ||
        !a_upper(t[q + 3]))
        return 0;
    q += 4;
    return q < len && a_alnum(t[q]) ? 0 : q;
}

/* A town: 1-3 capitalised words. */
static size_t en_town(const char *t, size_t len, size_t p)
{
    size_t q = p, end = 0;
    for (int w = 0; w < 3; w++) {
        if (q >= len || !a_upper(t[q]))
            break;
        size_t e = en_word(t, len, q);
        if (!e || en_word_is(t, q, e, EN_NOT_TOWN, N(EN_NOT_TOWN)))
            break;
        end = e;
        if (e + 1 >= len || t[e] != ' ' || !a_upper(t[e + 1]))
            break;
        q = e + 1;
    }
    return end;
}

static int en_address(const char *t, size_t len, size_t start, struct kf_pii_match *m)
{
    size_t p = start, street;
    size_t u = en_unit(t, len, p);
    if (u) { /* Apt 5, 350 Fifth Avenue */
        p = u;
        if (p < len && t[p] == ',')
            p++;
        if (p < len && t[p] == ' ')
            p++;
        street = en_street(t, len, p);
    } else {
        street = a_digit(t[p]) ? en_street(t, len, p) : 0;
    }
    if (!street)
        return 0;
    size_t part_end = street, end = street;
    int in_street = 1;
    for (int seg = 0; seg < 5; seg++) {
        size_t q = end;
        if (q >= len || t[q] != ',')
            break;
        q++;
        while (q < len && t[q] == ' ' && q - end < 3)
            q++;
        size_t r;
        if ((r = en_unit(t, len, q))) {
            if (in_street)
                part_end = r;
        } else if ((r = en_region(t, len, q))) {
            in_street = 0;
        } else if ((r = en_town(t, len, q))) {
            size_t z = r < len && t[r] == ' ' ? en_region(t, len, r + 1) : 0;
            if (z) /* London SW1A 2AA, Springfield IL 62701 */
                r = z;
            in_street = 0;
        } else {
            break;
        }
        end = r;
    }
    *m = (struct kf_pii_match){KF_PII_ADDRESS, start, end, start, part_end};
    return 1;
}

/* ---- entry points ----------------------------------------------------- */

int kf__pii_address_at(const char *text, size_t len, size_t i, int try_zh, struct kf_pii_match *m)
{
    char c = text[i];
    char prev = i > 0 ? text[i - 1] : ' ';
    int ascii_edge = !a_alnum(prev) && (prev == ' ' || strchr("+$.-/#_@", prev) == NULL);
    if ((a_alnum(c) || c == '#') && ascii_edge && en_address(text, len, i, m))
        return 1;
    if (!try_zh)
        return 0;
    size_t n;
    uint32_t cp = cp_at(text, len, i, &n);
    if (name_char(cp) || (w_digit(cp) && !a_alnum(prev))) {
        struct zh z = {text, len};
        return zh_from(&z, i, i, 0, i, 0, m);
    }
    return 0;
}

/* Every Chinese address holds an anchor: the end of a street marker with a
 * house number after it (路88号, 弄5号, 大道 100 号), or a building label with a
 * strong unit marker (3号楼, 5栋, 2单元, 501室). Ordinary text rarely does
 * ("订单号", "3号线", "知道" have none), so parses are tried only near one. */
size_t kf__pii_address_next_anchor(const char *text, size_t len, size_t from)
{
    struct zh z = {text, len};
    size_t p = from;
    while (p < len) {
        size_t n;
        uint32_t c = cp_at(text, len, p, &n);
        if (c >= 0x80 && in_set(c, STREET_END, N(STREET_END))) {
            size_t q = p + n, sec = zh_num(&z, q);
            if (sec && lit(&z, sec, "段"))
                q = lit(&z, sec, "段");
            if (zh_house(&z, zh_space(&z, q)))
                return p;
        } else if ((w_digit(c) || w_letter(c) || in_set(c, CN_NUM, N(CN_NUM))) &&
                   lit_any(&z, p + n, UNIT_STRONG, N(UNIT_STRONG))) {
            return p;
        }
        p += n;
    }
    return len;
}
