/* unit/nlp/catalogue.c — tests for src/nlp/catalogue.c: loading and
 * validation (errors name file and line), exact matching with spacing and
 * case variants, whole words, leftmost-longest and kind priority, Chinese,
 * typo tolerance, hostile input, and the bot's own catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kefu/arena.h"
#include "kefu/catalogue.h"
#include "kefu/mem.h"
#include "testutil.h"

static char DIR_[256];
static struct kf_catalogue *CAT;
static struct kf_arena *A;

static const char FIXTURE[] =
    "categories:\n"
    "  - id: electronics\n"
    "    names: {zh: [电子产品], en: [electronics]}\n"
    "  - id: phones\n"
    "    names: {zh: [手机, 智能手机], en: [phone, smartphone, mobile phone]}\n"
    "    parent: electronics\n"
    "  - id: earphones\n"
    "    names: {zh: [耳机], en: [earphones, headphones]}\n"
    "    parent: electronics\n"
    "  - id: pixel-cat\n"
    "    names: {en: [Pixel]}\n"
    "  - id: sony-cat\n"
    "    names: {en: Sony}\n"
    "  - id: leica-cat\n"
    "    names: {en: [Leica]}\n"
    "brands:\n"
    "  - id: huawei\n"
    "    names: {zh: [华为], en: [Huawei]}\n"
    "  - id: apple\n"
    "    names: {zh: [苹果], en: [Apple]}\n"
    "  - id: pixel\n"
    "    names: {en: [Pixel]}\n"
    "  - id: sony\n"
    "    names: {en: [SONY]}\n"
    "attributes:\n"
    "  - id: noise_cancelling\n"
    "    names: {zh: [降噪, 主动降噪], en: [noise cancelling, ANC]}\n"
    "  - id: ram\n"
    "    names: {en: [RAM]}\n"
    "  - id: waterproof\n"
    "    names: {zh: [防水], en: [waterproof]}\n"
    "  - id: 5g\n"
    "    names: {en: [5G]}\n"
    "  - id: leica\n"
    "    names: {en: [leica]}\n"
    "products:\n"
    "  - id: huawei-mate60\n"
    "    brand: huawei\n"
    "    category: phones\n"
    "    names: {zh: [华为Mate60, Mate60], en: [Huawei Mate 60, Mate 60]}\n"
    "    price: 5999.00\n"
    "    attributes: [5g]\n"
    "    specs: {storage: 256GB, colour: 黑色}\n"
    "  - id: huawei-mate60-pro\n"
    "    brand: huawei\n"
    "    category: phones\n"
    "    names: {en: [Huawei Mate 60 Pro, Mate 60 Pro]}\n"
    "    price: 6999\n"
    "  - id: freebuds-pro3\n"
    "    brand: huawei\n"
    "    category: earphones\n"
    "    names: {zh: [华为FreeBuds Pro 3], en: [FreeBuds Pro 3]}\n"
    "    attributes: [noise_cancelling, waterproof]\n"
    "  - id: pixel-8\n"
    "    brand: pixel\n"
    "    category: phones\n"
    "    names: {en: [Pixel]}\n"
    "  - id: iphone-15\n"
    "    brand: apple\n"
    "    names: {en: [iPhone 15], zh: [苹果15]}\n";

static const char *write_file(const char *name, const char *text)
{
    return tu_write(DIR_, name, text);
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(DIR_, "catalogue");
    struct kf_err err = {0};
    int rc = kf_catalogue_load(write_file("catalogue.yaml", FIXTURE), &CAT, &err);
    if (rc != 0)
        fprintf(stderr, "fixture: %s\n", err.msg);
    A = kf_arena_new(0, 0);
    return rc != 0 || A == NULL;
}

static int teardown(void **state)
{
    (void)state;
    kf_catalogue_free(CAT);
    kf_arena_free(A);
    tu_rmtree(DIR_);
    return 0;
}

static struct kf_entity E[64];

static size_t match_in(const struct kf_catalogue *c, const char *text)
{
    kf_arena_reset(A);
    return kf_catalogue_match(c, text, strlen(text), A, E, 64);
}

static size_t match(const char *text)
{
    return match_in(CAT, text);
}

/* Entity i has this type, id and original text. */
static void check(size_t i, const char *type, const char *id, const char *text, double conf)
{
    char value[128];
    snprintf(value, sizeof value, "\"%s\"", id);
    assert_string_equal(E[i].type, type);
    assert_string_equal(E[i].value, value);
    assert_string_equal(E[i].text, text);
    assert_int_equal(E[i].end - E[i].start, strlen(text));
    assert_true(E[i].confidence > conf - 1e-9 && E[i].confidence < conf + 1e-9);
    assert_int_equal(E[i].source, KF_ENT_CATALOGUE);
}

static void test_load_and_products(void **state)
{
    (void)state;
    assert_int_equal(kf_catalogue_count(CAT, KF_CAT_PRODUCT), 5);
    assert_int_equal(kf_catalogue_count(CAT, KF_CAT_BRAND), 4);
    assert_int_equal(kf_catalogue_count(CAT, KF_CAT_CATEGORY), 6);
    assert_int_equal(kf_catalogue_count(CAT, KF_CAT_ATTRIBUTE), 5);
    assert_int_equal(kf_catalogue_count(CAT, KF_CAT_NKINDS), 0);
    assert_int_equal(kf_catalogue_count(NULL, KF_CAT_PRODUCT), 0);

    const struct kf_catalogue_product *p = kf_catalogue_product_at(CAT, 0);
    assert_non_null(p);
    assert_string_equal(p->id, "huawei-mate60");
    assert_string_equal(p->brand, "huawei");
    assert_string_equal(p->category, "phones");
    assert_string_equal(p->name_zh, "华为Mate60");
    assert_string_equal(p->name_en, "Huawei Mate 60");
    assert_true(p->price > 5998.99 && p->price < 5999.01);
    assert_int_equal(p->nattributes, 1);
    assert_string_equal(p->attributes[0], "5g");
    assert_null(kf_catalogue_product_at(CAT, 5));

    p = kf_catalogue_product_find(CAT, "freebuds-pro3");
    assert_non_null(p);
    assert_int_equal(p->nattributes, 2);
    assert_string_equal(p->attributes[1], "waterproof");
    p = kf_catalogue_product_find(CAT, "pixel-8");
    assert_null(p->name_zh);
    assert_string_equal(p->name_en, "Pixel");
    assert_null(kf_catalogue_product_find(CAT, "nokia-3310"));
    assert_null(kf_catalogue_product_find(NULL, "pixel-8"));
    kf_catalogue_free(NULL);

    /* names of any kind, in a language with a fallback */
    assert_string_equal(kf_catalogue_name(CAT, KF_CAT_ATTRIBUTE, "noise_cancelling", "zh"), "降噪");
    assert_string_equal(kf_catalogue_name(CAT, KF_CAT_ATTRIBUTE, "noise_cancelling", "en"),
                        "noise cancelling");
    assert_string_equal(kf_catalogue_name(CAT, KF_CAT_ATTRIBUTE, "5g", "zh"), "5G"); /* en only */
    assert_string_equal(kf_catalogue_name(CAT, KF_CAT_PRODUCT, "huawei-mate60", "en"),
                        "Huawei Mate 60");
    assert_string_equal(kf_catalogue_name(CAT, KF_CAT_BRAND, "apple", "zh"), "苹果");
    assert_null(kf_catalogue_name(CAT, KF_CAT_BRAND, "nokia", "zh"));
    assert_null(kf_catalogue_name(NULL, KF_CAT_BRAND, "apple", "zh"));
}

/* specs and fits (what an accessory is made for) are read and checked. */
static void test_specs_and_fits(void **state)
{
    (void)state;
    char dir[256];
    tu_tmpdir(dir, "catfits");
    const char *path = tu_write(dir, "c.yaml",
                                "products:\n"
                                "  - id: phone\n"
                                "    names: {en: [Phone One]}\n"
                                "    specs: {storage: 256GB, colour: black}\n"
                                "  - id: case\n"
                                "    names: {en: [Phone One Case]}\n"
                                "    fits: [phone]\n");
    struct kf_catalogue *c = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_catalogue_load_with(path, NULL, &c, &err), KF_OK);
    const struct kf_catalogue_product *p = kf_catalogue_product_find(c, "phone");
    assert_int_equal(p->nspecs, 2);
    assert_string_equal(p->spec_keys[1], "colour");
    assert_string_equal(p->spec_values[1], "black");
    assert_int_equal(p->nfits, 0);
    p = kf_catalogue_product_find(c, "case");
    assert_int_equal(p->nfits, 1);
    assert_string_equal(p->fits[0], "phone");
    kf_catalogue_free(c);
    tu_rmtree(dir);
}

static void test_exact_and_variants(void **state)
{
    (void)state;
    assert_int_equal(match("I want a Huawei Mate 60"), 1);
    check(0, "product", "huawei-mate60", "Huawei Mate 60", 1.0);
    assert_int_equal(E[0].start, 9);
    assert_int_equal(E[0].end, 23);

    const char *variants[] = {"mate60",   "MATE 60",      "Mate-60",     "mate_60",
                              "mate  60", "Ｍａｔｅ６０", "Mate\u200b60" /* zero-width space */};
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        char text[64];
        snprintf(text, sizeof text, "is the %s in stock?", variants[i]);
        assert_int_equal(match(text), 1);
        check(0, "product", "huawei-mate60", variants[i], 1.0);
        assert_int_equal(E[0].start, 7);
    }
    /* spans never start or end on separators */
    assert_int_equal(match("-- mate 60 --"), 1);
    check(0, "product", "huawei-mate60", "mate 60", 1.0);
    assert_int_equal(match("Mate 60."), 1);
    check(0, "product", "huawei-mate60", "Mate 60", 1.0);
    /* other punctuation is no separator */
    assert_int_equal(match("mate, 60"), 0);
}

static void test_whole_words(void **state)
{
    (void)state;
    assert_int_equal(match("my program crashed"), 0);
    assert_int_equal(match("8GB RAM please"), 1);
    check(0, "attribute", "ram", "RAM", 1.0);
    assert_int_equal(match("does it dance"), 0); /* ANC */
    assert_int_equal(match("Mate60s"), 0);       /* glued letters */
    assert_int_equal(match("supermate 60"), 0);
    assert_int_equal(match("15G"), 0);      /* 5G inside a number */
    assert_int_equal(match("支持5G吗"), 1); /* Han is no word char */
    check(0, "attribute", "5g", "5G", 1.0);
    assert_int_equal(match("(ANC)"), 1);
    check(0, "attribute", "noise_cancelling", "ANC", 1.0);
}

static void test_longest_and_order(void **state)
{
    (void)state;
    assert_int_equal(match("Huawei Mate 60 Pro vs Mate 60"), 2);
    check(0, "product", "huawei-mate60-pro", "Huawei Mate 60 Pro", 1.0);
    check(1, "product", "huawei-mate60", "Mate 60", 1.0);
    assert_int_equal(match("huawei phone with noise cancelling"), 3);
    check(0, "brand", "huawei", "huawei", 1.0);
    check(1, "category", "phones", "phone", 1.0);
    check(2, "attribute", "noise_cancelling", "noise cancelling", 1.0);
    assert_int_equal(match("mobile phone"), 1);
    check(0, "category", "phones", "mobile phone", 1.0);
    assert_int_equal(match("智能手机"), 1);
    check(0, "category", "phones", "智能手机", 1.0);
    assert_int_equal(match("有主动降噪吗"), 1);
    check(0, "attribute", "noise_cancelling", "主动降噪", 1.0);
}

static void test_priority_at_equal_span(void **state)
{
    (void)state;
    assert_int_equal(match("Pixel"), 1); /* product, brand and category */
    check(0, "product", "pixel-8", "Pixel", 1.0);
    assert_int_equal(match("sony"), 1); /* brand and category */
    check(0, "brand", "sony", "sony", 1.0);
    assert_int_equal(match("Leica"), 1); /* category and attribute */
    check(0, "category", "leica-cat", "Leica", 1.0);
}

static void test_chinese(void **state)
{
    (void)state;
    assert_int_equal(match("我想买华为手机,有防水的吗"), 3);
    check(0, "brand", "huawei", "华为", 1.0);
    assert_int_equal(E[0].start, strlen("我想买"));
    check(1, "category", "phones", "手机", 1.0);
    check(2, "attribute", "waterproof", "防水", 1.0);
    /* a Chinese name ending in Latin is one name */
    assert_int_equal(match("买华为Mate60吗"), 1);
    check(0, "product", "huawei-mate60", "华为Mate60", 1.0);
    assert_int_equal(match("华为mate 60"), 1);
    check(0, "product", "huawei-mate60", "华为mate 60", 1.0);
    /* ... and must end on a word boundary on its Latin side */
    assert_int_equal(match("华为Mate60Pro"), 2);
    check(0, "brand", "huawei", "华为", 1.0);
    check(1, "product", "huawei-mate60-pro", "Mate60Pro", 1.0);
    assert_int_equal(match("我的苹果15坏了"), 1);
    check(0, "product", "iphone-15", "苹果15", 1.0);
    assert_int_equal(match("华为FreeBuds Pro 3耳机"), 2);
    check(0, "product", "freebuds-pro3", "华为FreeBuds Pro 3", 1.0);
    check(1, "category", "earphones", "耳机", 1.0);
}

static void test_typos(void **state)
{
    (void)state;
    assert_int_equal(match("I want the Huawie Mate 60"), 1);
    check(0, "product", "huawei-mate60", "Huawie Mate 60", 0.8);
    assert_int_equal(match("my earphons are broken"), 1);
    check(0, "category", "earphones", "earphons", 0.8);
    assert_int_equal(match("is it waterprof?"), 1);
    check(0, "attribute", "waterproof", "waterprof", 0.8);
    assert_int_equal(match("Appel phone"), 2);
    check(0, "brand", "apple", "Appel", 0.8);
    check(1, "category", "phones", "phone", 1.0);
    assert_int_equal(match("hauwei mate 60 pro!"), 1);
    check(0, "product", "huawei-mate60-pro", "hauwei mate 60 pro", 0.8);
    assert_int_equal(match("a new smartphine"), 1); /* o -> i: neighbouring keys */
    check(0, "category", "phones", "smartphine", 0.8);
    /* English words one letter from a name are no typos: e and y are far apart */
    assert_int_equal(match("can I apply a coupon"), 0);
    assert_int_equal(match("an Appl"), 0); /* nor a last letter other than s */
    assert_int_equal(match("Uhawei"), 1);  /* the first two letters swapped */
    check(0, "brand", "huawei", "Uhawei", 0.8);
    assert_int_equal(match("Guawei"), 0); /* but not the first letter replaced */
    assert_int_equal(match("Huaweis"), 1); /* an added letter is */
    check(0, "brand", "huawei", "Huaweis", 0.8);
    /* a plural is read as its name word, word list or not */
    assert_int_equal(match("Pixels"), 1);
    check(0, "product", "pixel-8", "Pixels", 0.8);
    /* an ordinary English word (the system word list) is what was meant:
     * "shows" is one keyboard slip from "shoes", and no typo of it */
    static const char shoes[] = "categories:\n  - id: shoes\n    names: {en: [shoes]}\n";
    struct kf_catalogue *with, *bare;
    struct kf_err err = {0};
    const char *sp = write_file("shoes.yaml", shoes);
    assert_int_equal(kf_catalogue_load(sp, &with, &err), KF_OK);
    assert_int_equal(kf_catalogue_load_with(sp, NULL, &bare, &err), KF_OK);
    kf_arena_reset(A);
    assert_int_equal(kf_catalogue_match(with, "the shows were great", 20, A, E, 64), 0);
    assert_int_equal(kf_catalogue_match(bare, "the shows were great", 20, A, E, 64), 1);
    assert_int_equal(kf_catalogue_match(with, "new shoez please", 16, A, E, 64), 1);
    kf_catalogue_free(with);
    kf_catalogue_free(bare);
    /* short words never, two typos never, Chinese never */
    assert_int_equal(match("phne"), 0);
    assert_int_equal(match("Aple"), 0);
    assert_int_equal(match("Hauwie"), 0);
    assert_int_equal(match("华维手机"), 1);
    check(0, "category", "phones", "手机", 1.0);
    /* a typo inside a longer word is not a typo of the name */
    assert_int_equal(match("xearphons"), 0);
}

static void test_hostile_input(void **state)
{
    (void)state;
    assert_int_equal(kf_catalogue_match(CAT, "", 0, A, E, 64), 0);
    assert_int_equal(kf_catalogue_match(CAT, "Mate 60", 7, A, E, 0), 0);
    assert_int_equal(kf_catalogue_match(NULL, "Mate 60", 7, A, E, 64), 0);
    /* bytes that are not UTF-8 match nothing and break nothing */
    const char bad[] = "\xff\xfe Mate 60 \xe5\x8d \xed\xa0\x80华\x80为 RAM\xc0";
    size_t n = kf_catalogue_match(CAT, bad, sizeof bad - 1, A, E, 64);
    assert_int_equal(n, 2);
    check(0, "product", "huawei-mate60", "Mate 60", 1.0);
    check(1, "attribute", "ram", "RAM", 1.0);
    assert_int_equal(match("\xe5\x8d\x8e\xe4\xb8"), 0);
    assert_int_equal(match("Huawie\xff Mate 60"), 2);
    check(0, "brand", "huawei", "Huawie", 0.8);
    check(1, "product", "huawei-mate60", "Mate 60", 1.0);
    /* max is respected */
    kf_arena_reset(A);
    const char *three = "RAM 5G ANC";
    assert_int_equal(kf_catalogue_match(CAT, three, strlen(three), A, E, 2), 2);
    check(1, "attribute", "5g", "5G", 1.0);
    kf_arena_reset(A);
    const char *typo = "RAM 5G earphons";
    assert_int_equal(kf_catalogue_match(CAT, typo, strlen(typo), A, E, 2), 2);
    check(1, "attribute", "5g", "5G", 1.0);
    kf_arena_reset(A);
    const char *early = "earphons RAM 5G";
    assert_int_equal(kf_catalogue_match(CAT, early, strlen(early), A, E, 2), 2);
    check(0, "category", "earphones", "earphons", 0.8);
    check(1, "attribute", "ram", "RAM", 1.0);
}

static void test_64k(void **state)
{
    (void)state;
    static const char piece[] = "华为Mate60 和 Huawie Mate 60 Pro, 8GB RAM; ";
    size_t cap = 65536, len = 0;
    char *big = malloc(cap + 1);
    assert_non_null(big);
    while (len + sizeof piece - 1 <= cap) {
        memcpy(big + len, piece, sizeof piece - 1);
        len += sizeof piece - 1;
    }
    memset(big + len, 'x', cap - len);
    len = cap;
    big[len] = '\0';
    struct kf_arena *a = kf_arena_new(0, 0);
    size_t max = 8192;
    struct kf_entity *ents = calloc(max, sizeof *ents);
    assert_non_null(ents);
    size_t n = kf_catalogue_match(CAT, big, len, a, ents, max);
    size_t pieces = len / (sizeof piece - 1);
    assert_int_equal(n, pieces * 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(ents[i].end <= len && ents[i].start < ents[i].end);
        if (i > 0)
            assert_true(ents[i - 1].end <= ents[i].start);
        assert_memory_equal(ents[i].text, big + ents[i].start, ents[i].end - ents[i].start);
    }
    assert_string_equal(ents[1].value, "\"huawei-mate60-pro\"");
    assert_true(ents[1].confidence < 0.9);
    /* one byte more is cut at 64 KiB */
    char *bigger = malloc(cap + 8);
    assert_non_null(bigger);
    memcpy(bigger, big, cap);
    memcpy(bigger + cap, " RAM", 4);
    kf_arena_reset(a);
    assert_int_equal(kf_catalogue_match(CAT, bigger, cap + 4, a, ents, max), pieces * 3);
    free(bigger);
    free(ents);
    free(big);
    kf_arena_free(a);
}

/* ---- load errors ------------------------------------------------------- */

static void load_fails(const char *yaml, const char *line, const char *what)
{
    struct kf_catalogue *c = (struct kf_catalogue *)1;
    struct kf_err err = {0};
    const char *path = write_file("bad.yaml", yaml);
    char where[600];
    snprintf(where, sizeof where, "%s:%s: ", path, line);
    assert_int_equal(kf_catalogue_load(path, &c, &err), KF_EINVAL);
    assert_null(c);
    assert_int_equal(err.code, KF_EINVAL);
    if (strncmp(err.msg, where, strlen(where)) != 0 || strstr(err.msg, what) == NULL)
        fail_msg("got '%s', want '%s...%s'", err.msg, where, what);
}

static void test_load_errors(void **state)
{
    (void)state;
    load_fails("brands:\n"
               "  - id: huawei\n"
               "    names: {en: [Huawei]}\n"
               "  - id: huawei\n"
               "    names: {en: [Honor]}\n",
               "4", "duplicate id 'huawei' (first at line 2)");
    load_fails("brands:\n"
               "  - id: huawei\n"
               "    names: {en: [Huawei]}\n"
               "products:\n"
               "  - id: nokia-3310\n"
               "    names: {en: [Nokia 3310]}\n"
               "    brand: nokia\n",
               "7", "products 'nokia-3310': unknown brand 'nokia'");
    load_fails("products:\n"
               "  - id: a\n"
               "    names: {en: [Mate 60]}\n"
               "  - id: b\n"
               "    names: {zh: [华为], en: [MATE-60]}\n",
               "5", "products 'b': name 'MATE-60' is also a name of 'a' (line 2)");
    load_fails("brands:\n"
               "  - id: Huawei Inc\n"
               "    names: {en: [Huawei]}\n",
               "2", "id 'Huawei Inc' must be");
    load_fails("attributes:\n"
               "  - id: ok\n"
               "    names: {en: [ok]}\n"
               "products:\n"
               "  - id: p\n"
               "    names: {en: [p]}\n"
               "    attributes: [ok, missing]\n",
               "7", "unknown attribute 'missing'");
    load_fails("products:\n"
               "  - id: case\n"
               "    names: {en: [Case]}\n"
               "    fits: [phone]\n",
               "4", "products 'case': unknown product 'phone'");
    load_fails("products:\n"
               "  - id: case\n"
               "    names: {en: [Case]}\n"
               "    fits: phone\n",
               "4", "fits: expected a list");
    load_fails("categories:\n"
               "  - id: a\n"
               "    names: {en: [a]}\n"
               "    parent: b\n"
               "  - id: b\n"
               "    names: {en: [b]}\n"
               "    parent: a\n",
               "4", "parent chain loops");
    load_fails("brands:\n"
               "  - id: x\n"
               "    nmaes: {en: [x]}\n",
               "3", "unknown key 'nmaes'");
    load_fails("brands:\n"
               "  - id: x\n"
               "    names: {en: ['--']}\n",
               "3", "is empty once folded");
    load_fails("brands:\n"
               "  - id: x\n",
               "2", "names: required");
    load_fails("product:\n"
               "  - id: x\n",
               "1", "unknown key 'product'");
    load_fails("products:\n"
               "  - id: x\n"
               "    names: {en: [x]}\n"
               "    price: cheap\n",
               "4", "price");

    /* the same name in two kinds is fine, and so is repeating one in an entry */
    struct kf_catalogue *c;
    struct kf_err err = {0};
    const char *path = write_file("ok.yaml", "brands:\n"
                                             "  - id: x\n"
                                             "    names: {zh: [X1], en: [x1, X-1]}\n"
                                             "products:\n"
                                             "  - id: x\n"
                                             "    names: {en: [X 1]}\n");
    assert_int_equal(kf_catalogue_load(path, &c, &err), 0);
    kf_catalogue_free(c);
    /* an empty file is an empty catalogue */
    path = write_file("empty.yaml", "");
    assert_int_equal(kf_catalogue_load(path, &c, &err), 0);
    assert_int_equal(kf_catalogue_count(c, KF_CAT_PRODUCT), 0);
    assert_int_equal(match_in(c, "Mate 60"), 0);
    kf_catalogue_free(c);
    /* a missing file is an error too */
    assert_int_not_equal(kf_catalogue_load("/nonexistent/catalogue.yaml", &c, &err), 0);
    assert_null(c);
}

/* Every allocation the loader makes may fail: it reports it and leaks
 * nothing (LeakSanitizer checks the latter). */
static void test_load_alloc_failures(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/catalogue.yaml", DIR_);
    long failures = 0;
    for (long i = 1;; i++) {
        struct kf_catalogue *c;
        struct kf_err err = {0};
        kf_mem_fail_after(i);
        int rc = kf_catalogue_load(path, &c, &err);
        long allocs = kf_mem_fail_after(0);
        if (rc == 0) {
            assert_int_equal(match_in(c, "Huawie Mate 60"), 1);
            kf_catalogue_free(c);
        } else {
            assert_null(c);
            failures++;
        }
        if (i > allocs) { /* nothing failed this time */
            assert_int_equal(rc, 0);
            break;
        }
    }
    assert_true(failures > 10);
}

/* A full arena cuts the list short; what is returned is whole. */
static void test_small_arena(void **state)
{
    (void)state;
    const char *text = "华为Mate60, RAM, 5G, ANC, earphons, Pixel, 手机, 防水, 降噪, Mate 60 Pro";
    struct kf_arena *a = kf_arena_new(256, 256);
    assert_non_null(a);
    size_t n = kf_catalogue_match(CAT, text, strlen(text), a, E, 64);
    assert_true(n > 0 && n < 10);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(E[i].text);
        assert_non_null(E[i].value);
        assert_memory_equal(E[i].text, text + E[i].start, E[i].end - E[i].start);
    }
    kf_arena_free(a);
}

/* One catalogue, several threads, each with its own arena. */
static const char THREAD_TEXT[] =
    "我想买华为Mate60, or the Huawie Mate 60 Pro with ANC and 8GB RAM";

static void *match_thread(void *arg)
{
    size_t *n = arg;
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_entity ents[16];
    for (int i = 0; i < 2000 && a != NULL; i++) {
        kf_arena_reset(a);
        size_t k = kf_catalogue_match(CAT, THREAD_TEXT, sizeof THREAD_TEXT - 1, a, ents, 16);
        if (i == 0 || k != *n)
            *n = i == 0 ? k : (size_t)-1;
    }
    kf_arena_free(a);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    size_t want = match(THREAD_TEXT), got[4];
    assert_int_equal(want, 4);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, match_thread, &got[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(got[i], want);
    }
}

/* ---- the demo bot's catalogue ------------------------------------------ */

static void test_demo_shop(void **state)
{
    (void)state;
    const char *path = KEFU_SRC_ROOT "/bots/demo-shop/catalogue.yaml";
    struct stat st;
    if (stat(path, &st) != 0)
        skip();
    struct kf_catalogue *c;
    struct kf_err err = {0};
    if (kf_catalogue_load(path, &c, &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(kf_catalogue_count(c, KF_CAT_PRODUCT) > 100);
    const struct kf_catalogue_product *p = kf_catalogue_product_at(c, 0);
    assert_ptr_equal(kf_catalogue_product_find(c, p->id), p);
    p = kf_catalogue_product_find(c, "sony-wh-1000xm5");
    assert_non_null(p);
    assert_string_equal(p->brand, "sony");
    assert_string_equal(p->category, "earphones");

    assert_int_equal(match_in(c, "华为Mate60 Pro有货吗"), 1);
    check(0, "product", "huawei-mate60-pro", "华为Mate60 Pro", 1.0);
    assert_int_equal(match_in(c, "does the Sony WH-1000XM5 have noise cancelling?"), 2);
    check(0, "product", "sony-wh-1000xm5", "Sony WH-1000XM5", 1.0);
    check(1, "attribute", "noise_cancelling", "noise cancelling", 1.0);
    assert_int_equal(match_in(c, "小米手环8 续航怎么样"), 2);
    check(0, "product", "xiaomi-band-8", "小米手环8", 1.0);
    check(1, "attribute", "battery_life", "续航", 1.0);
    assert_int_equal(match_in(c, "I'd like the airpods pro 2 please"), 1);
    check(0, "product", "airpods-pro-2", "airpods pro 2", 1.0);
    assert_int_equal(match_in(c, "I want to return my Huawie Mate 60"), 1);
    check(0, "product", "huawei-mate60", "Huawie Mate 60", 0.8);
    /* common words one letter from a name are left alone */
    assert_int_equal(match_in(c, "can I apply it, deliver to my house, on the table"), 0);
    kf_catalogue_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_and_products),
        cmocka_unit_test(test_exact_and_variants),
        cmocka_unit_test(test_whole_words),
        cmocka_unit_test(test_longest_and_order),
        cmocka_unit_test(test_priority_at_equal_span),
        cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_typos),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_64k),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_specs_and_fits),
        cmocka_unit_test(test_load_alloc_failures),
        cmocka_unit_test(test_small_arena),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_demo_shop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
