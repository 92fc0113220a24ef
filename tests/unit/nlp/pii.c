/* unit/nlp/pii.c — tests for the pii module (src/nlp/pii*.c): detection
 * with validation, postal addresses (and what must not be one), masking, the
 * per-type policies (mask, redact, hash, keep), keys and sealing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kefu/pii.h"
#include "testutil.h"

static struct kf_arena *A;

static const char *mask(const char *in)
{
    char *out;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_mask(in, strlen(in), KF_PII_ALL, A, &out, NULL, NULL, &err), KF_OK);
    return out;
}

static size_t find(const char *in, struct kf_pii_match *m)
{
    return kf_pii_find(in, strlen(in), KF_PII_ALL, m, 8);
}

static void test_id_cards(void **state)
{
    (void)state;
    struct kf_pii_match m[8];
    assert_int_equal(find("身份证11010519491231002X谢谢", m), 1);
    assert_int_equal(m[0].type, KF_PII_ID_CARD);
    assert_string_equal(mask("身份证11010519491231002X谢谢"), "身份证110105********002X谢谢");
    assert_string_equal(mask("id 440304199001011233"), "id 440304********1233");
    /* wrong check character, impossible date, or glued to letters: left alone */
    assert_string_equal(mask("440304199001011234"), "440304199001011234");
    assert_string_equal(mask("440304199013011233 x"), "440304199013011233 x");
    assert_string_equal(mask("A440304199001011233"), "A440304199001011233");
}

static void test_bank_cards(void **state)
{
    (void)state;
    assert_string_equal(mask("卡号 6212261202000000001"), "卡号 ***************0001");
    assert_string_equal(mask("card 4111 1111 1111 1111 thanks"), "card **** **** **** 1111 thanks");
    assert_string_equal(mask("4111-1111-1111-1111"), "****-****-****-1111");
    assert_string_equal(mask("4111 1111 1111 1112"), "4111 1111 1111 1112"); /* Luhn fails */
    /* Luhn-valid numbers that are no card: a timestamp, an order number */
    assert_string_equal(mask("ref 1795613859630"), "ref 1795613859630");
    assert_string_equal(mask("order 2026110100000002"), "order 2026110100000002");
}

static void test_phones(void **state)
{
    (void)state;
    assert_string_equal(mask("电话13812345678"), "电话138****5678");
    assert_string_equal(mask("call +8613812345678 now"), "call +86138****5678 now");
    assert_string_equal(mask("+44 2071234567"), "+44 2071234567"); /* a space splits it */
    assert_string_equal(mask("+442071234567"), "+4420****4567");
    /* order ids and plain numbers are not phones */
    assert_string_equal(mask("订单DS13812345678"), "订单DS13812345678");
    assert_string_equal(mask("订单 20261101001 到了吗"), "订单 20261101001 到了吗");
    assert_string_equal(mask("12812345678"), "12812345678"); /* 12x is not a mobile prefix */
    assert_string_equal(mask("价格199元, 2 件"), "价格199元, 2 件");
}

static void test_emails(void **state)
{
    (void)state;
    assert_string_equal(mask("邮箱 zhang.san@example.com 谢谢"), "邮箱 z********@example.com 谢谢");
    assert_string_equal(mask("mail me: a@b.cn."), "mail me: a@b.cn.");
    assert_string_equal(mask("x@localhost"), "x@localhost"); /* no dot in the domain */
    assert_string_equal(mask("@@@"), "@@@");
}

static void test_several_and_types(void **state)
{
    (void)state;
    const char *in = "我叫张三,电话13812345678,邮箱 zs@qq.com,身份证11010519491231002X";
    struct kf_pii_match m[8];
    assert_int_equal(find(in, m), 3);
    assert_int_equal(m[0].type, KF_PII_PHONE);
    assert_int_equal(m[1].type, KF_PII_EMAIL);
    assert_int_equal(m[2].type, KF_PII_ID_CARD);
    char *out;
    size_t count;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_mask(in, strlen(in), KF_PII_PHONE, A, &out, NULL, &count, &err), KF_OK);
    assert_int_equal(count, 1);
    assert_non_null(strstr(out, "zs@qq.com")); /* only phones were asked for */
    unsigned t;
    assert_int_equal(kf_pii_parse_types("phone, email", &t, &err), KF_OK);
    assert_int_equal(t, KF_PII_PHONE | KF_PII_EMAIL);
    assert_int_equal(kf_pii_parse_types("none", &t, &err), KF_OK);
    assert_int_equal(t, 0);
    assert_int_equal(kf_pii_parse_types("phone,passport", &t, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "passport"));
    /* nothing to mask: same text; empty text */
    assert_string_equal(mask("hello 你好"), "hello 你好");
    assert_string_equal(mask(""), "");
}

/* The address found in `in` (exactly one match expected), as a string. */
static const char *address_of(const char *in)
{
    struct kf_pii_match m[8];
    size_t n = kf_pii_find(in, strlen(in), KF_PII_ADDRESS, m, 8);
    if (n != 1)
        fail_msg("'%s': %zu address matches, want 1", in, n);
    assert_int_equal(m[0].type, KF_PII_ADDRESS);
    assert_true(m[0].start <= m[0].part_start && m[0].part_start < m[0].part_end &&
                m[0].part_end <= m[0].end);
    return kf_arena_strndup(A, in + m[0].start, m[0].end - m[0].start);
}

static void no_address(const char *in)
{
    struct kf_pii_match m[8];
    size_t n = kf_pii_find(in, strlen(in), KF_PII_ADDRESS, m, 8);
    if (n != 0)
        fail_msg("'%s' is no address, but '%.*s' was taken for one", in,
                 (int)(m[0].end - m[0].start), in + m[0].start);
}

static void test_addresses_zh(void **state)
{
    (void)state;
    /* the whole address, from the province to the room */
    assert_string_equal(address_of("北京市朝阳区建国路88号SOHO现代城A座1201室"),
                        "北京市朝阳区建国路88号SOHO现代城A座1201室");
    assert_string_equal(address_of("寄到浙江省杭州市西湖区文三路90号,谢谢"),
                        "浙江省杭州市西湖区文三路90号");
    assert_string_equal(address_of("地址:上海浦东新区张江路100弄5号302"),
                        "上海浦东新区张江路100弄5号302");
    assert_string_equal(address_of("广州市天河区体育西路191号中石化大厦B塔"),
                        "广州市天河区体育西路191号中石化大厦B塔");
    assert_string_equal(address_of("我家住在浙江杭州西湖区文三路90号"), "浙江杭州西湖区文三路90号");
    assert_string_equal(address_of("北京市东城区东直门南大街5号院3号楼2单元301"),
                        "北京市东城区东直门南大街5号院3号楼2单元301");
    assert_string_equal(address_of("成都市武侯区人民南路四段1号"), "成都市武侯区人民南路四段1号");
    assert_string_equal(address_of("天津市和平区睦南道20号"), "天津市和平区睦南道20号");
    assert_string_equal(address_of("上海市黄浦区南京东路 100号"), "上海市黄浦区南京东路 100号");
    assert_string_equal(address_of("请寄到人民路100号"), "人民路100号");
    assert_string_equal(address_of("我家在幸福小区5栋"), "幸福小区5栋");
    /* the left edge: a province name wins over the word before it */
    assert_string_equal(address_of("公司北京市海淀区中关村大街27号"), "北京市海淀区中关村大街27号");

    /* mask keeps province/city/district and hides the rest, one * per character */
    assert_string_equal(mask("北京市朝阳区建国路88号SOHO现代城A座1201室"),
                        "北京市朝阳区********************");
    assert_string_equal(mask("寄到浙江省杭州市西湖区文三路90号,电话13812345678"),
                        "寄到浙江省杭州市西湖区******,电话138****5678");
    assert_string_equal(mask("上海浦东新区张江路100弄5号302"), "上海浦东新区************");
    assert_string_equal(mask("建外街道建国路88号"), "**********"); /* 街道 is finer: masked */
    assert_string_equal(mask("幸福小区5栋"), "******");               /* 小区 is no district */
}

static void test_addresses_zh_negatives(void **state)
{
    (void)state;
    const char *no[] = {"我在北京", "上海发货吗", "退货地址是什么", "3号线", "北京路",
                        "我不知道3号能不能到", "频道3号", "明天10号发货", "这条路100号车",
                        "我住在3楼", "5号楼", "价格100元", "订单号123456", "华联超市3号楼",
                        "退货地址发我一下", "一路顺风,3号见", "北京市朝阳区"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        no_address(no[i]);
    assert_string_equal(mask("我在北京,上海发货吗?3号线"), "我在北京,上海发货吗?3号线");
}

static void test_addresses_en(void **state)
{
    (void)state;
    assert_string_equal(address_of("1600 Amphitheatre Parkway, Mountain View, CA 94043"),
                        "1600 Amphitheatre Parkway, Mountain View, CA 94043");
    assert_string_equal(address_of("ship to 221B Baker Street, London please"),
                        "221B Baker Street, London");
    assert_string_equal(address_of("Apt 5, 350 Fifth Avenue, New York"),
                        "Apt 5, 350 Fifth Avenue, New York");
    assert_string_equal(address_of("350 Fifth Avenue, Suite 3, New York, NY 10118"),
                        "350 Fifth Avenue, Suite 3, New York, NY 10118");
    assert_string_equal(address_of("Deliver to 10 Downing St, London SW1A 2AA please"),
                        "10 Downing St, London SW1A 2AA");
    assert_string_equal(address_of("i live at 12 main street"), "12 main street");

    /* mask hides the street part; the town stays, digits in it do not */
    assert_string_equal(mask("1600 Amphitheatre Parkway, Mountain View, CA 94043"),
                        "*************************, Mountain View, CA *****");
    assert_string_equal(mask("221B Baker Street, London"), "*****************, London");
    assert_string_equal(mask("Apt 5, 350 Fifth Avenue, New York"),
                        "***********************, New York");
    assert_string_equal(mask("10 Downing St, London SW1A 2AA"), "*************, London **** ***");

    const char *no[] = {"Baker Street is nice", "5 more blocks down the road",
                        "I ordered 2 items on Main Street", "Order 12345 shipped",
                        "Call me at 10 am", "Room 101", "the 3rd Street Promenade",
                        "I waited 3 days on the road", "it costs 10 St", "buy 2 get one way"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        no_address(no[i]);
}

static void test_many_matches_all_masked(void **state)
{
    (void)state;
    /* more values than any fixed table: every one is masked */
    char in[4000], want[4000];
    for (int i = 0; i < 150; i++) {
        memcpy(in + 12 * i, "13812345678,", 12);
        memcpy(want + 12 * i, "138****5678,", 12);
    }
    in[1800] = want[1800] = '\0';
    assert_string_equal(mask(in), want);
}

static void test_types_and_actions(void **state)
{
    (void)state;
    unsigned t;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_parse_types("address", &t, &err), KF_OK);
    assert_int_equal(t, KF_PII_ADDRESS);
    assert_string_equal(kf_pii_type_name(KF_PII_ADDRESS), "address");
    assert_int_equal(kf_pii_type_index(KF_PII_ADDRESS), 4);
    assert_int_equal(kf_pii_type_index(KF_PII_ID_CARD), 0);
    enum kf_pii_action a;
    assert_int_equal(kf_pii_parse_action("redact", &a, &err), KF_OK);
    assert_int_equal(a, KF_PII_REDACT);
    assert_string_equal(kf_pii_action_name(KF_PII_HASH), "hash");
    assert_int_equal(kf_pii_parse_action("blur", &a, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "blur"));
}

static struct kf_pii_key test_key(char fill)
{
    char hex[65];
    memset(hex, fill, 64);
    hex[64] = '\0';
    struct kf_pii_key k;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_key_from_hex(hex, &k, &err), KF_OK);
    return k;
}

static const char *apply(const struct kf_pii_policy *p, const char *in, struct kf_pii_result *r)
{
    struct kf_err err = {0};
    assert_int_equal(kf_pii_apply(in, strlen(in), p, A, r, &err), KF_OK);
    return r->text;
}

static void test_policy_redact_hash_keep(void **state)
{
    (void)state;
    struct kf_pii_key k = test_key('7');
    struct kf_pii_policy p = kf_pii_default_policy();
    p.key = &k;
    for (int i = 0; i < KF_PII_NTYPES; i++)
        p.action[i] = KF_PII_REDACT;
    struct kf_pii_result r;
    const char *in = "电话13812345678,身份证11010519491231002X,卡 6212261202000000001,"
                     "邮箱 zs@qq.com,地址北京市朝阳区建国路88号";
    assert_string_equal(apply(&p, in, &r), "电话[phone],身份证[id_card],卡 [bank_card],"
                                           "邮箱 [email],地址[address]");
    assert_int_equal(r.n, 5);
    /* spans say where each value was and where its placeholder is */
    assert_int_equal(r.spans[0].type, KF_PII_PHONE);
    assert_memory_equal(in + r.spans[0].start, "13812345678", 11);
    assert_memory_equal(r.text + r.spans[0].out_start, "[phone]", 7);
    assert_int_equal(r.spans[0].out_end - r.spans[0].out_start, 7);
    assert_int_equal(r.spans[4].action, KF_PII_REDACT);
    assert_memory_equal(r.text + r.spans[4].out_start, "[address]", 9);

    /* hash: [type:8 hex], stable, the same for the same number however written */
    for (int i = 0; i < KF_PII_NTYPES; i++)
        p.action[i] = KF_PII_HASH;
    const char *h1 = kf_arena_strdup(A, apply(&p, "call 13812345678", &r));
    assert_int_equal(strlen(h1), strlen("call [phone:12345678]"));
    assert_memory_equal(h1, "call [phone:", 12);
    assert_int_equal(strspn(h1 + 12, "0123456789abcdef"), 8);
    assert_string_equal(apply(&p, "call 13812345678", &r), h1);
    assert_string_equal(apply(&p, "call +8613812345678", &r), h1);
    assert_string_not_equal(apply(&p, "call 13812345679", &r), h1);
    const char *e1 = kf_arena_strdup(A, apply(&p, "ZS@QQ.com", &r));
    assert_string_equal(apply(&p, "zs@qq.com", &r), e1); /* case does not count */
    /* another key, another pseudonym: it says nothing without the key */
    struct kf_pii_key k2 = test_key('8');
    p.key = &k2;
    assert_string_not_equal(apply(&p, "call 13812345678", &r), h1);
    p.key = &k;

    /* a hash needs a key */
    p.key = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_apply("x", 1, &p, A, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "key"));
    p.key = &k;

    /* keep: left as it is (unsafe, documented); mixed per type */
    p = kf_pii_default_policy();
    p.key = &k;
    p.action[kf_pii_type_index(KF_PII_PHONE)] = KF_PII_KEEP;
    p.action[kf_pii_type_index(KF_PII_EMAIL)] = KF_PII_REDACT;
    assert_string_equal(apply(&p, "13812345678 zs@qq.com 11010519491231002X", &r),
                        "13812345678 [email] 110105********002X");
    assert_int_equal(r.n, 3);
    assert_int_equal(r.spans[0].action, KF_PII_KEEP);
    /* a type that is not detected is not touched, whatever its action */
    p.types = KF_PII_ALL & ~(unsigned)KF_PII_EMAIL;
    assert_string_equal(apply(&p, "zs@qq.com", &r), "zs@qq.com");
    kf_pii_key_wipe(&k);
    kf_pii_key_wipe(&k2);
}

static void test_seal_and_open(void **state)
{
    (void)state;
    struct kf_pii_key k = test_key('a'), other = test_key('b');
    assert_int_equal(strlen(k.id), KF_PII_KEY_ID_LEN);
    assert_string_not_equal(k.id, other.id);
    unsigned char *nonce, *ct;
    size_t ct_len;
    struct kf_err err = {0};
    const char *raw = "13812345678";
    assert_int_equal(kf_pii_seal(&k, raw, 11, A, &nonce, &ct, &ct_len, &err), KF_OK);
    assert_int_equal(ct_len, 11 + KF_PII_MAC_BYTES);
    assert_null(memmem(ct, ct_len, raw, 11));
    char *plain;
    size_t len;
    assert_int_equal(kf_pii_open(&k, nonce, KF_PII_NONCE_BYTES, ct, ct_len, A, &plain, &len, &err),
                     KF_OK);
    assert_int_equal(len, 11);
    assert_string_equal(plain, raw);
    /* the same value sealed twice differs (random nonce) */
    unsigned char *nonce2, *ct2;
    assert_int_equal(kf_pii_seal(&k, raw, 11, A, &nonce2, &ct2, &ct_len, &err), KF_OK);
    assert_memory_not_equal(ct, ct2, ct_len);
    /* another key or one changed byte: refused */
    assert_int_equal(
        kf_pii_open(&other, nonce, KF_PII_NONCE_BYTES, ct, ct_len, A, &plain, &len, &err),
        KF_EINVAL);
    ct[3] ^= 1;
    assert_int_equal(kf_pii_open(&k, nonce, KF_PII_NONCE_BYTES, ct, ct_len, A, &plain, &len, &err),
                     KF_EINVAL);
    assert_int_equal(kf_pii_open(&k, nonce, 3, ct, ct_len, A, &plain, &len, &err), KF_EINVAL);
    /* bad hex keys; the message never quotes the key */
    struct kf_pii_key bad;
    assert_int_equal(kf_pii_key_from_hex("abcd", &bad, &err), KF_EINVAL);
    assert_null(strstr(err.msg, "abcd"));
    char nothex[65];
    memset(nothex, 'g', 64);
    nothex[64] = '\0';
    assert_int_equal(kf_pii_key_from_hex(nothex, &bad, &err), KF_EINVAL);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    fchmod(fd, mode);
    close(fd);
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[256], path[320];
    tu_tmpdir(dir, "pii-key");
    snprintf(path, sizeof path, "%s/sub/pii.key", dir);
    struct kf_pii_key k1, k2;
    struct kf_err err = {0};
    int created = 0;
    /* missing: not created unless asked */
    assert_int_equal(kf_pii_key_load_file(path, 0, &k1, &created, &err), KF_ENOTFOUND);
    /* created once: 32 random bytes, mode 0600, folder made */
    assert_int_equal(kf_pii_key_load_file(path, 1, &k1, &created, &err), KF_OK);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, KF_PII_KEY_BYTES);
    /* the second start reads the same key */
    assert_int_equal(kf_pii_key_load_file(path, 1, &k2, &created, &err), KF_OK);
    assert_false(created);
    assert_string_equal(k1.id, k2.id);
    assert_memory_equal(k1.seal, k2.seal, KF_PII_KEY_BYTES);
    /* no temporary files left behind */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", sub);
    assert_int_equal(system(cmd), 0);

    /* a wrong size is a clear error */
    write_file(path, "short", 5, 0600);
    assert_int_equal(kf_pii_key_load_file(path, 1, &k2, &created, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "5 bytes"));
    assert_non_null(strstr(err.msg, "32 bytes"));
    /* 64 hex characters and a newline work too */
    char hex[66];
    memset(hex, 'c', 64);
    hex[64] = '\n';
    write_file(path, hex, 65, 0600);
    assert_int_equal(kf_pii_key_load_file(path, 0, &k2, &created, &err), KF_OK);
    struct kf_pii_key kc = test_key('c');
    assert_string_equal(k2.id, kc.id);
    /* a key other users can read is refused */
    chmod(path, 0644);
    assert_int_equal(kf_pii_key_load_file(path, 0, &k2, &created, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "chmod 600"));
    tu_rmtree(dir);
}

static int setup(void **state)
{
    (void)state;
    A = kf_arena_new(0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kf_arena_free(A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_cards),   cmocka_unit_test(test_bank_cards),
        cmocka_unit_test(test_phones),     cmocka_unit_test(test_emails),
        cmocka_unit_test(test_several_and_types),
        cmocka_unit_test(test_addresses_zh),
        cmocka_unit_test(test_addresses_zh_negatives),
        cmocka_unit_test(test_addresses_en),
        cmocka_unit_test(test_many_matches_all_masked),
        cmocka_unit_test(test_types_and_actions),
        cmocka_unit_test(test_policy_redact_hash_keep),
        cmocka_unit_test(test_seal_and_open),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
