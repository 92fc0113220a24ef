/* unit/nlp/patterns.c — tests for src/nlp/patterns.c: every built-in type
 * in zh and en with exact spans and normalised values, Chinese numerals,
 * the masked PII forms, negatives, bot rules, bad input and a 64 KiB text.
 *
 * The reference moment is 2026-11-25T13:00+08:00, a Wednesday. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "kefu/mem.h"
#include "kefu/patterns.h"

static struct kf_patterns *P;
static struct kf_arena *A;

/* 2026-11-25T05:00:00Z = 13:00 in UTC+8 */
static const struct kf_time_ref REF = {1795582800, 480};

#define MAXE 32
static struct kf_entity E[MAXE];

static size_t run_with(const struct kf_patterns *p, const char *text, struct kf_time_ref ref)
{
    return kf_patterns_extract(p, text, strlen(text), ref, A, E, MAXE);
}

static size_t run(const char *text)
{
    return run_with(P, text, REF);
}

/* The only entity of text is `type` spanning `span` with value `value`. */
static void one(const char *text, const char *type, const char *span, const char *value)
{
    size_t n = run(text);
    if (n != 1) {
        print_message("text: %s -> %zu entities\n", text, n);
        for (size_t i = 0; i < n; i++)
            print_message("  %s [%s] %s\n", E[i].type, E[i].text, E[i].value);
    }
    assert_int_equal(n, 1);
    assert_string_equal(E[0].type, type);
    assert_string_equal(E[0].text, span);
    const char *at = strstr(text, span);
    assert_non_null(at);
    assert_int_equal(E[0].start, (size_t)(at - text));
    assert_int_equal(E[0].end, E[0].start + strlen(span));
    assert_int_equal(E[0].source, KF_ENT_PATTERN);
    assert_true(E[0].confidence > 0 && E[0].confidence <= 1);
    if (value)
        assert_string_equal(E[0].value, value);
}

static void none(const char *text)
{
    size_t n = run(text);
    if (n != 0)
        print_message("text: %s -> %s [%s]\n", text, E[0].type, E[0].text);
    assert_int_equal(n, 0);
}

/* Entity i of the last run. */
static void nth(size_t i, const char *type, const char *span, const char *value)
{
    assert_string_equal(E[i].type, type);
    assert_string_equal(E[i].text, span);
    if (value)
        assert_string_equal(E[i].value, value);
}

static void test_order_ids(void **state)
{
    (void)state;
    one("我的订单DS20261101001什么时候发货", "order_id", "DS20261101001", "\"DS20261101001\"");
    one("order ds20261101001 please", "order_id", "ds20261101001", "\"DS20261101001\"");
    none("订单DS123呢");          /* too short */
    none("订单DS202611010011呢"); /* one digit too many */
    none("XDS20261101001");       /* glued to a letter */
    /* phone-looking digits inside an order id are the order id */
    one("订单DS13812345678", "order_id", "DS13812345678", "\"DS13812345678\"");
}

static void test_tracking_numbers(void **state)
{
    (void)state;
    one("顺丰SF123456789012到哪了", "tracking_number", "SF123456789012", "\"SF123456789012\"");
    one("sf1234567890123", "tracking_number", "sf1234567890123", "\"SF1234567890123\"");
    one("圆通YT1234567890123", "tracking_number", "YT1234567890123", NULL);
    one("京东JDV123456789012", "tracking_number", "JDV123456789012", NULL);
    one("UPS 1Z999AA10123456784", "tracking_number", "1Z999AA10123456784", NULL);
    one("EMS EA123456789CN", "tracking_number", "EA123456789CN", "\"EA123456789CN\"");
    /* bare numbers only after a cue; the span is the number alone */
    one("运单号：123456789012", "tracking_number", "123456789012", "\"123456789012\"");
    one("快递单号是 1234567890123 谢谢", "tracking_number", "1234567890123", NULL);
    one("物流单号为123456789012345", "tracking_number", "123456789012345", NULL);
    one("单号123456789012", "tracking_number", "123456789012", NULL);
    one("my tracking number is 123456789012", "tracking_number", "123456789012", NULL);
    one("Tracking No.: 123456789012", "tracking_number", "123456789012", NULL);
    one("tracking # 123456789012345", "tracking_number", "123456789012345", NULL);
    none("编号123456789012");
    none("订单号123456789012"); /* an order number, not a tracking number */
    none("运单号1234567890");   /* too short */
}

static void test_pii_raw(void **state)
{
    (void)state;
    one("电话13812345678", "phone", "13812345678", "\"13812345678\"");
    one("call +8613812345678 now", "phone", "+8613812345678", NULL);
    one("打8613812345678", "phone", "8613812345678", NULL);
    one("call +442071234567", "phone", "+442071234567", NULL);
    one("邮箱 zhang.san@example.com 谢谢", "email", "zhang.san@example.com",
        "\"zhang.san@example.com\"");
    one("身份证11010519491231002X", "id_card", "11010519491231002X", NULL);
    one("卡号 6212261202000000001", "bank_card", "6212261202000000001", NULL);
    one("card 4111 1111 1111 1111 ok", "bank_card", "4111 1111 1111 1111", NULL);
    none("12812345678");        /* not a mobile prefix */
    none("440304199001011234"); /* wrong ID check character */
}

static void test_pii_masked(void **state)
{
    (void)state;
    /* what kf_pii_mask writes */
    one("电话138****5678", "phone", "138****5678", "\"138****5678\"");
    one("call +86138****5678", "phone", "+86138****5678", NULL);
    one("+4420****4567", "phone", "+4420****4567", NULL);
    one("邮箱 z********@example.com 谢谢", "email", "z********@example.com",
        "\"z********@example.com\"");
    one("身份证110105********002X", "id_card", "110105********002X", NULL);
    one("卡号 ***************0001", "bank_card", "***************0001", NULL);
    one("card **** **** **** 1111 thanks", "bank_card", "**** **** **** 1111", NULL);
    one("****-****-****-1111", "bank_card", "****-****-****-1111", NULL);
    one("尾号****1234的卡", "bank_card", "****1234", NULL);
    /* what the redact and hash policies write */
    assert_int_equal(run("手机[phone]，邮箱[email:3f9a1c2e]"), 2);
    nth(0, "phone", "[phone]", "\"[phone]\"");
    nth(1, "email", "[email:3f9a1c2e]", NULL);
}

static void test_money_zh(void **state)
{
    (void)state;
    one("这件199元", "money", "199元", "{\"amount\":199,\"currency\":\"CNY\"}");
    one("两百块能买吗", "money", "两百块", "{\"amount\":200,\"currency\":\"CNY\"}");
    one("¥1,299", "money", "¥1,299", "{\"amount\":1299,\"currency\":\"CNY\"}");
    one("￥1,299.5的那个", "money", "￥1,299.5", "{\"amount\":1299.5,\"currency\":\"CNY\"}");
    one("预算5千块", "money", "5千块", "{\"amount\":5000,\"currency\":\"CNY\"}");
    one("1.5万元", "money", "1.5万元", "{\"amount\":15000,\"currency\":\"CNY\"}");
    one("一万二元", "money", "一万二元", "{\"amount\":12000,\"currency\":\"CNY\"}");
    one("两块五", "money", "两块五", "{\"amount\":2.5,\"currency\":\"CNY\"}");
    one("100美元", "money", "100美元", "{\"amount\":100,\"currency\":\"USD\"}");
    one("有没有2000元以内的手机", "money", "2000元以内",
        "{\"amount\":2000,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("不超过2000元的", "money", "不超过2000元",
        "{\"amount\":2000,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("300以内", "money", "300以内",
        "{\"amount\":300,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("3000左右", "money", "3000左右",
        "{\"amount\":3000,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
    one("3000上下", "money", "3000上下",
        "{\"amount\":3000,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
    one("低于500", "money", "低于500",
        "{\"amount\":500,\"currency\":\"CNY\",\"comparator\":\"lt\"}");
    one("1000以下的", "money", "1000以下",
        "{\"amount\":1000,\"currency\":\"CNY\",\"comparator\":\"lt\"}");
    one("高于800", "money", "高于800",
        "{\"amount\":800,\"currency\":\"CNY\",\"comparator\":\"gt\"}");
    one("预算3000以上的手机", "money", "3000以上",
        "{\"amount\":3000,\"currency\":\"CNY\",\"comparator\":\"gt\"}");
    one("至少两千", "money", "至少两千",
        "{\"amount\":2000,\"currency\":\"CNY\",\"comparator\":\"ge\"}");
    one("最多三千五百块", "money", "最多三千五百块",
        "{\"amount\":3500,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("大概3000左右", "money", "大概3000左右",
        "{\"amount\":3000,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
    one("约200元", "money", "约200元",
        "{\"amount\":200,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
    one("大约一百二", "money", "大约一百二",
        "{\"amount\":120,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
}

static void test_money_en(void **state)
{
    (void)state;
    one("it was $20", "money", "$20", "{\"amount\":20,\"currency\":\"USD\"}");
    one("about $50 please", "money", "about $50",
        "{\"amount\":50,\"currency\":\"USD\",\"comparator\":\"approx\"}");
    one("something under 300?", "money", "under 300",
        "{\"amount\":300,\"currency\":\"CNY\",\"comparator\":\"lt\"}");
    one("less than 100 dollars", "money", "less than 100 dollars",
        "{\"amount\":100,\"currency\":\"USD\",\"comparator\":\"lt\"}");
    one("no more than 2000 yuan", "money", "no more than 2000 yuan",
        "{\"amount\":2000,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("at most 80 RMB", "money", "at most 80 RMB",
        "{\"amount\":80,\"currency\":\"CNY\",\"comparator\":\"le\"}");
    one("up to 1,500 USD", "money", "up to 1,500 USD",
        "{\"amount\":1500,\"currency\":\"USD\",\"comparator\":\"le\"}");
    one("over 9000", "money", "over 9000",
        "{\"amount\":9000,\"currency\":\"CNY\",\"comparator\":\"gt\"}");
    one("more than $10", "money", "more than $10",
        "{\"amount\":10,\"currency\":\"USD\",\"comparator\":\"gt\"}");
    one("above 20", "money", "above 20",
        "{\"amount\":20,\"currency\":\"CNY\",\"comparator\":\"gt\"}");
    one("at least 5 dollars", "money", "at least 5 dollars",
        "{\"amount\":5,\"currency\":\"USD\",\"comparator\":\"ge\"}");
    one("around 3k", "money", "around 3k",
        "{\"amount\":3000,\"currency\":\"CNY\",\"comparator\":\"approx\"}");
    one("roughly 40 bucks", "money", "roughly 40 bucks",
        "{\"amount\":40,\"currency\":\"USD\",\"comparator\":\"approx\"}");
    one("300 dollars or less", "money", "300 dollars or less",
        "{\"amount\":300,\"currency\":\"USD\",\"comparator\":\"le\"}");
}

static void test_money_negatives(void **state)
{
    (void)state;
    none("我有3个问题"); /* 个问题: no quantity either */
    none("iPhone 15");
    none("2026年");
    none("价格是199"); /* a bare number: neither currency nor comparator */
    none("less than 2 weeks");
    none("up to 50% off");
    none("at least 256GB");
    none("over 18 years");
    /* a comparator before a unit: the quantity, not money */
    one("至少2件", "quantity", "2件", "{\"amount\":2,\"unit\":\"件\"}");
    one("at least 2 pairs", "quantity", "2 pairs", "{\"amount\":2,\"unit\":\"pairs\"}");
    /* ... or before a date: the date */
    one("约3天后到", "date", "3天后", "\"2026-11-28\"");
}

static void test_quantity(void **state)
{
    (void)state;
    one("买2件", "quantity", "2件", "{\"amount\":2,\"unit\":\"件\"}");
    one("要三台", "quantity", "三台", "{\"amount\":3,\"unit\":\"台\"}");
    one("两双袜子", "quantity", "两双", "{\"amount\":2,\"unit\":\"双\"}");
    one("十二瓶", "quantity", "十二瓶", "{\"amount\":12,\"unit\":\"瓶\"}");
    one("5公斤大米", "quantity", "5公斤", "{\"amount\":5,\"unit\":\"公斤\"}");
    one("1.5斤", "quantity", "1.5斤", "{\"amount\":1.5,\"unit\":\"斤\"}");
    one("10 KG", "quantity", "10 KG", "{\"amount\":10,\"unit\":\"kg\"}");
    one("I need two pairs", "quantity", "two pairs", "{\"amount\":2,\"unit\":\"pairs\"}");
    one("3 pcs", "quantity", "3 pcs", "{\"amount\":3,\"unit\":\"pcs\"}");
    one("5 PCS please", "quantity", "5 PCS", "{\"amount\":5,\"unit\":\"pcs\"}");
    one("one box", "quantity", "one box", "{\"amount\":1,\"unit\":\"box\"}");
    one("12 bottles", "quantity", "12 bottles", "{\"amount\":12,\"unit\":\"bottles\"}");
    /* money and dates are not quantities */
    none("3个月");
    none("3个小时");
    none("第3件");
    none("一部分");
    none("someone box"); /* "one" inside a word */
    /* both in one message */
    assert_int_equal(run("买2件199元的衬衫"), 2);
    nth(0, "quantity", "2件", NULL);
    nth(1, "money", "199元", NULL);
}

static void test_cn_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"一百二十三", 123}, {"两千五", 2500},      {"三千五百", 3500},  {"一万二", 12000},
        {"十一", 11},        {"二十", 20},          {"十", 10},          {"3千", 3000},
        {"1.5万", 15000},    {"一二三", 123},       {"1,299.5", 1299.5}, {"一千零五", 1005},
        {"一百零五", 105},   {"两百", 200},         {"3千5", 3500},      {"1万2000", 12000},
        {"十万", 100000},    {"一亿两千万", 1.2e8}, {"二〇二六", 2026},  {"零", 0},
        {"42", 42},          {"一百二", 120},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        if (kf_cn_number_parse(ok[i].s, strlen(ok[i].s), &v) != 0 || v != ok[i].v)
            print_message("%s -> %g\n", ok[i].s, v);
        assert_int_equal(kf_cn_number_parse(ok[i].s, strlen(ok[i].s), &v), 0);
        assert_true(v == ok[i].v);
    }
    static const char *const bad[] = {"", "abc", "十十", "百十", "二三百", "1,2", "3件", "一两"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        assert_int_equal(kf_cn_number_parse(bad[i], strlen(bad[i]), &v), -1);
    }
    double v;
    assert_int_equal(kf_cn_number_parse(NULL, 0, &v), -1);
}

static void test_dates_zh(void **state)
{
    (void)state;
    one("明天能到吗", "date", "明天", "\"2026-11-26\"");
    one("今天", "date", "今天", "\"2026-11-25\"");
    one("后天", "date", "后天", "\"2026-11-27\"");
    one("大后天", "date", "大后天", "\"2026-11-28\"");
    one("昨天买的", "date", "昨天", "\"2026-11-24\"");
    one("前天", "date", "前天", "\"2026-11-23\"");
    one("下周一", "date", "下周一", "\"2026-11-30\"");
    one("上周五", "date", "上周五", "\"2026-11-20\"");
    one("这周三", "date", "这周三", "\"2026-11-25\"");
    one("本周日", "date", "本周日", "\"2026-11-29\"");
    one("周五之前", "date", "周五", "\"2026-11-27\"");
    one("星期五", "date", "星期五", "\"2026-11-27\"");
    one("礼拜五", "date", "礼拜五", "\"2026-11-27\"");
    one("周三", "date", "周三", "\"2026-11-25\""); /* today counts */
    one("周二", "date", "周二", "\"2026-12-01\"");
    one("下个月3号", "date", "下个月3号", "\"2026-12-03\"");
    one("3号到", "date", "3号", "\"2026-12-03\""); /* passed this month: next month */
    one("28号", "date", "28号", "\"2026-11-28\"");
    one("11月3日", "date", "11月3日", "\"2026-11-03\"");
    one("11月3号", "date", "11月3号", "\"2026-11-03\"");
    one("1月5日", "date", "1月5日", "\"2027-01-05\""); /* nearest: next year */
    one("2026-11-03", "date", "2026-11-03", "\"2026-11-03\"");
    one("2026/11/03", "date", "2026/11/03", "\"2026-11-03\"");
    one("2026年11月3日", "date", "2026年11月3日", "\"2026-11-03\"");
    one("十一月三日", "date", "十一月三日", "\"2026-11-03\"");
    one("十二月二十五号", "date", "十二月二十五号", "\"2026-12-25\"");
    one("三天前", "date", "三天前", "\"2026-11-22\"");
    one("3天后", "date", "3天后", "\"2026-11-28\"");
    one("两周后", "date", "两周后", "\"2026-12-09\"");
    one("在明天", "date", "明天", NULL); /* no preposition in the span */
    none("3号线");
    none("一周一次");
    none("2026-13-45");
    none("2月30日");
}

static void test_dates_en(void **state)
{
    (void)state;
    one("today", "date", "today", "\"2026-11-25\"");
    one("by tomorrow", "date", "tomorrow", "\"2026-11-26\"");
    one("yesterday", "date", "yesterday", "\"2026-11-24\"");
    one("next Friday", "date", "next Friday", "\"2026-12-04\""); /* Friday of next week */
    one("last Monday", "date", "last Monday", "\"2026-11-16\""); /* Monday of last week */
    one("this Sunday", "date", "this Sunday", "\"2026-11-29\"");
    one("on Friday", "date", "Friday", "\"2026-11-27\"");
    one("Wed", "date", "Wed", "\"2026-11-25\"");
    one("Nov 3", "date", "Nov 3", "\"2026-11-03\"");
    one("November 3rd", "date", "November 3rd", "\"2026-11-03\"");
    one("3 Nov", "date", "3 Nov", "\"2026-11-03\"");
    one("Nov. 3, 2025", "date", "Nov. 3, 2025", "\"2025-11-03\"");
    one("3 days ago", "date", "3 days ago", "\"2026-11-22\"");
    one("in 2 days", "date", "in 2 days", "\"2026-11-27\"");
    one("a week ago", "date", "a week ago", "\"2026-11-18\"");
    none("next week");
    none("I sat down"); /* lower-case abbreviations are words */
    none("Sunny day");
}

static void test_datetimes(void **state)
{
    (void)state;
    one("明天下午", "datetime", "明天下午", "\"2026-11-26T15:00:00+08:00\"");
    /* a clock before a day-and-part word is one span */
    one("if I pay before 9pm tonight", "datetime", "9pm tonight",
        "\"2026-11-25T21:00:00+08:00\"");
    one("ordered at 8am this morning", "datetime", "8am this morning",
        "\"2026-11-25T08:00:00+08:00\"");
    one("明天下午3点", "datetime", "明天下午3点", "\"2026-11-26T15:00:00+08:00\"");
    one("今晚8点", "datetime", "今晚8点", "\"2026-11-25T20:00:00+08:00\"");
    one("今晚", "datetime", "今晚", "\"2026-11-25T20:00:00+08:00\"");
    one("下午三点", "datetime", "下午三点", "\"2026-11-25T15:00:00+08:00\"");
    one("周五上午10点半", "datetime", "周五上午10点半", "\"2026-11-27T10:30:00+08:00\"");
    one("3点15分", "datetime", "3点15分", "\"2026-11-25T03:15:00+08:00\"");
    one("晚上8点", "datetime", "晚上8点", "\"2026-11-25T20:00:00+08:00\"");
    one("晚上12点", "datetime", "晚上12点", "\"2026-11-26T00:00:00+08:00\"");
    one("中午", "datetime", "中午", "\"2026-11-25T12:00:00+08:00\"");
    one("早上", "datetime", "早上", "\"2026-11-25T09:00:00+08:00\"");
    one("傍晚", "datetime", "傍晚", "\"2026-11-25T18:00:00+08:00\"");
    one("下周三下午2点半", "datetime", "下周三下午2点半", "\"2026-12-02T14:30:00+08:00\"");
    one("11月3日下午", "datetime", "11月3日下午", "\"2026-11-03T15:00:00+08:00\"");
    one("明天 15:30", "datetime", "明天 15:30", "\"2026-11-26T15:30:00+08:00\"");
    one("tomorrow at 3pm", "datetime", "tomorrow at 3pm", "\"2026-11-26T15:00:00+08:00\"");
    one("tomorrow afternoon", "datetime", "tomorrow afternoon", "\"2026-11-26T15:00:00+08:00\"");
    one("tonight", "datetime", "tonight", "\"2026-11-25T20:00:00+08:00\"");
    one("tonight at 8", "datetime", "tonight at 8", "\"2026-11-25T20:00:00+08:00\"");
    one("at 3pm", "datetime", "3pm", "\"2026-11-25T15:00:00+08:00\"");
    one("10:30 am", "datetime", "10:30 am", "\"2026-11-25T10:30:00+08:00\"");
    one("15:30", "datetime", "15:30", "\"2026-11-25T15:30:00+08:00\"");
    one("Friday morning", "datetime", "Friday morning", "\"2026-11-27T09:00:00+08:00\"");
    one("3pm tomorrow", "datetime", "3pm tomorrow", "\"2026-11-26T15:00:00+08:00\"");
    one("3pm on Friday", "datetime", "3pm on Friday", "\"2026-11-27T15:00:00+08:00\"");
    one("12am", "datetime", "12am", "\"2026-11-25T00:00:00+08:00\"");
    one("12pm", "datetime", "12pm", "\"2026-11-25T12:00:00+08:00\"");
    one("noon", "datetime", "noon", "\"2026-11-25T12:00:00+08:00\"");
    one("2026-11-03 15:30", "datetime", "2026-11-03 15:30", "\"2026-11-03T15:30:00+08:00\"");
    none("便宜一点"); /* "a bit", not 01:00 */
    none("早上好");
    none("下午茶");
    none("good morning");
}

static void test_time_ref(void **state)
{
    (void)state;
    /* 2026-11-25T20:00Z is already the 26th in UTC+8 */
    struct kf_time_ref late = {1795582800 + 15 * 3600, 480};
    assert_int_equal(run_with(P, "今天", late), 1);
    nth(0, "date", "今天", "\"2026-11-26\"");
    assert_int_equal(run_with(P, "明天下午3点", late), 1);
    nth(0, "datetime", "明天下午3点", "\"2026-11-27T15:00:00+08:00\"");
    /* and still the 25th in UTC-5, with the offset written as -05:00 */
    struct kf_time_ref ny = {1795582800 + 15 * 3600, -300};
    assert_int_equal(run_with(P, "tomorrow at 3pm", ny), 1);
    nth(0, "datetime", "tomorrow at 3pm", "\"2026-11-26T15:00:00-05:00\"");
    /* across a year end, and a leap day */
    struct kf_time_ref eve = {1798761600 - 3600, 0}; /* 2026-12-31T23:00Z */
    assert_int_equal(run_with(P, "明天", eve), 1);
    nth(0, "date", "明天", "\"2027-01-01\"");
    assert_int_equal(run_with(P, "12月25日", eve), 1);
    nth(0, "date", "12月25日", "\"2026-12-25\"");
    struct kf_time_ref leap = {1709164800, 0}; /* 2024-02-29 */
    assert_int_equal(run_with(P, "yesterday", leap), 1);
    nth(0, "date", "yesterday", "\"2024-02-28\"");
    assert_int_equal(run_with(P, "下个月3号", leap), 1);
    nth(0, "date", "下个月3号", "\"2024-03-03\"");
    /* a month-day more than half a year ahead is last year's */
    struct kf_time_ref jan = {1768003200, 480}; /* 2026-01-10 */
    assert_int_equal(run_with(P, "12月25日", jan), 1);
    nth(0, "date", "12月25日", "\"2025-12-25\"");
}

static void test_mixed_message(void **state)
{
    (void)state;
    const char *t =
        "订单DS20261101001，电话138****5678，明天下午3点前送到，预算不超过2000元，买两件";
    assert_int_equal(run(t), 5);
    nth(0, "order_id", "DS20261101001", NULL);
    nth(1, "phone", "138****5678", NULL);
    nth(2, "datetime", "明天下午3点", NULL);
    nth(3, "money", "不超过2000元", NULL);
    nth(4, "quantity", "两件", NULL);
    for (size_t i = 0; i < 5; i++)
        assert_memory_equal(t + E[i].start, E[i].text, E[i].end - E[i].start);
    /* max is honoured, in text order */
    assert_int_equal(kf_patterns_extract(P, t, strlen(t), REF, A, E, 2), 2);
    nth(0, "order_id", "DS20261101001", NULL);
    nth(1, "phone", "138****5678", NULL);
}

static void test_rules(void **state)
{
    (void)state;
    struct kf_pattern_rule rules[] = {
        {"order_id", "(?i)ord-[0-9]{6}"},
        {"coupon", "SAVE[0-9]{2}"},
    };
    struct kf_patterns_params pp = kf_patterns_default_params();
    pp.rules = rules;
    pp.nrules = 2;
    struct kf_patterns *p;
    struct kf_err err = {0};
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_OK);
    /* the rule replaces the built-in order id */
    assert_int_equal(run_with(p, "订单ord-123456和DS20261101001", REF), 1);
    nth(0, "order_id", "ord-123456", "\"ORD-123456\"");
    assert_int_equal(run_with(p, "用SAVE20买2件", REF), 2);
    nth(0, "coupon", "SAVE20", "\"SAVE20\"");
    nth(1, "quantity", "2件", NULL);
    /* edges apply to rules too */
    assert_int_equal(run_with(p, "XSAVE20", REF), 0);
    kf_patterns_free(p);

    /* a rule that can match the empty string neither hangs nor yields empty entities */
    struct kf_pattern_rule er[] = {{"stars", "\\**"}};
    pp.rules = er;
    pp.nrules = 1;
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_OK);
    assert_int_equal(run_with(p, "a ** b", REF), 1);
    nth(0, "stars", "**", "\"**\"");
    kf_patterns_free(p);

    /* a rule replacing date keeps datetimes */
    struct kf_pattern_rule dr[] = {{"date", "D-DAY"}};
    pp.rules = dr;
    pp.nrules = 1;
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_OK);
    assert_int_equal(run_with(p, "明天 D-DAY 明天下午", REF), 2);
    nth(0, "date", "D-DAY", "\"D-DAY\"");
    nth(1, "datetime", "明天下午", NULL);
    kf_patterns_free(p);
}

static void test_bad_rules(void **state)
{
    (void)state;
    struct kf_pattern_rule bad[] = {{"order_id", "DS([0-9]{11}"}};
    struct kf_patterns_params pp = {bad, 1};
    struct kf_patterns *p = (struct kf_patterns *)&pp;
    struct kf_err err = {0};
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_EINVAL);
    assert_null(p);
    assert_non_null(strstr(err.msg, "order_id"));
    assert_non_null(strstr(err.msg, "missing closing parenthesis"));
    assert_non_null(strstr(err.msg, "offset 12"));
    struct kf_pattern_rule empty[] = {{"", "x"}};
    pp.rules = empty;
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_EINVAL);
    struct kf_pattern_rule noregex[] = {{"x", NULL}};
    pp.rules = noregex;
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_EINVAL);
    pp.rules = NULL;
    assert_int_equal(kf_patterns_new(pp, &p, &err), KF_EINVAL);
    kf_patterns_free(NULL);
    assert_string_equal(kf_entity_source_name(KF_ENT_PATTERN), "pattern");
    assert_string_equal(kf_entity_source_name(KF_ENT_CATALOGUE), "catalogue");
    assert_string_equal(kf_entity_source_name(KF_ENT_CRF), "crf");
}

static void test_bad_input(void **state)
{
    (void)state;
    assert_int_equal(kf_patterns_extract(P, "", 0, REF, A, E, MAXE), 0);
    assert_int_equal(kf_patterns_extract(P, NULL, 5, REF, A, E, MAXE), 0);
    assert_int_equal(kf_patterns_extract(NULL, "明天", 6, REF, A, E, MAXE), 0);
    assert_int_equal(kf_patterns_extract(P, "明天", 6, REF, A, E, 0), 0);
    /* invalid UTF-8 */
    assert_int_equal(kf_patterns_extract(P, "\xff明天", 7, REF, A, E, MAXE), 0);
    /* a length that cuts a character is invalid too */
    assert_int_equal(kf_patterns_extract(P, "明天", 5, REF, A, E, MAXE), 0);
    /* only the given length is read */
    assert_int_equal(kf_patterns_extract(P, "明天3号", 6, REF, A, E, MAXE), 1);
    nth(0, "date", "明天", NULL);
}

static void test_big_input(void **state)
{
    (void)state;
    size_t cap = 64 * 1024;
    char *big = kf_malloc(cap + 1);
    assert_non_null(big);
    /* dense: every unit has four entities; the last ones are found too */
    const char *unit = "买2件199元明天下午3点 ";
    size_t ul = strlen(unit), n = 0;
    while (n + ul <= cap) {
        memcpy(big + n, unit, ul);
        n += ul;
    }
    big[n] = '\0';
    struct kf_entity *many = kf_calloc(20000, sizeof *many);
    assert_non_null(many);
    size_t got = kf_patterns_extract(P, big, n, REF, A, many, 20000);
    assert_int_equal(got, n / ul * 3);
    assert_string_equal(many[got - 1].type, "datetime");
    assert_int_equal(many[got - 1].end, n - 1);
    kf_free(many);
    /* hostile runs stay fast (each was quadratic once) and find nothing */
    static const char *const runs[] = {"一", "*", " ", "a.", "-", "十"};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        size_t rl = strlen(runs[r]);
        n = 0;
        while (n + rl <= cap) {
            memcpy(big + n, runs[r], rl);
            n += rl;
        }
        big[n] = '\0';
        kf_arena_reset(A);
        assert_int_equal(kf_patterns_extract(P, big, n, REF, A, E, MAXE), 0);
    }
    /* longer than 64 KiB: the first 64 KiB are read */
    char *huge = kf_malloc(cap + 100);
    assert_non_null(huge);
    memset(huge, ' ', cap + 100);
    memcpy(huge + 10, "明天", 6);
    memcpy(huge + cap + 10, "后天", 6);
    assert_int_equal(kf_patterns_extract(P, huge, cap + 100, REF, A, E, MAXE), 1);
    nth(0, "date", "明天", NULL);
    kf_free(huge);
    kf_free(big);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    /* every allocation of kf_patterns_new may fail and is handled */
    for (long k = 1; k < 200; k++) {
        struct kf_patterns *p = NULL;
        struct kf_err err = {0};
        kf_mem_fail_after(k);
        int rc = kf_patterns_new(kf_patterns_default_params(), &p, &err);
        kf_mem_fail_after(0);
        if (rc == KF_OK) {
            assert_int_equal(run_with(p, "明天下午3点", REF), 1);
            kf_patterns_free(p);
            break;
        }
        assert_int_equal(rc, KF_ENOMEM);
        assert_null(p);
    }
    /* a failed match-data allocation gives no entities, not a crash */
    kf_mem_fail_after(1);
    size_t n = run("明天下午3点");
    kf_mem_fail_after(0);
    assert_int_equal(n, 0);
}

static int setup(void **state)
{
    (void)state;
    struct kf_err err = {0};
    A = kf_arena_new(0, 0);
    if (A == NULL || kf_patterns_new(kf_patterns_default_params(), &P, &err) != KF_OK) {
        print_message("setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kf_patterns_free(P);
    kf_arena_free(A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_ids),       cmocka_unit_test(test_tracking_numbers),
        cmocka_unit_test(test_pii_raw),         cmocka_unit_test(test_pii_masked),
        cmocka_unit_test(test_money_zh),        cmocka_unit_test(test_money_en),
        cmocka_unit_test(test_money_negatives), cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_cn_numbers),      cmocka_unit_test(test_dates_zh),
        cmocka_unit_test(test_dates_en),        cmocka_unit_test(test_datetimes),
        cmocka_unit_test(test_time_ref),        cmocka_unit_test(test_mixed_message),
        cmocka_unit_test(test_rules),           cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_big_input),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
