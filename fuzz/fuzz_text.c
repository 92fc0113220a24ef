/*
 * fuzz_text.c — libFuzzer target over the parsers that see untrusted text:
 * normalisation, features, Rasa annotation stripping, the YAML tree, a
 * prediction with a small model trained at start-up, and entities: the
 * patterns, the demo shop's catalogue, a small CRF, and the annotated-
 * example reader the CRF trains from.
 *
 * Build and run: scripts/fuzz.sh [SECONDS]   (clang + libFuzzer, ASan + UBSan)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/catalogue.h"
#include "kefu/classifier.h"
#include "kefu/crf.h"
#include "kefu/patterns.h"
#include "kefu/dataset.h"
#include "kefu/features.h"
#include "kefu/text.h"
#include "kefu/yaml.h"

static struct kf_classifier *model;
static struct kf_patterns *patterns;
static struct kf_catalogue *catalogue;
static struct kf_crf *crf;

static void fuzz__entities(void)
{
    if (kf_patterns_new(kf_patterns_default_params(), &patterns, NULL) != KF_OK ||
        kf_catalogue_load(KEFU_SRC_ROOT "/bots/demo-shop/catalogue.yaml", &catalogue, NULL) != KF_OK)
        abort();
    static const char *const ex[] = {"订单[DS20261101001](order_id)到哪了",
                                     "is the [Huawei Mate 60](product) in stock",
                                     "[张三](name)明天去[北京](city)"};
    struct kf_seqset *s;
    if (kf_seqset_new(&s, NULL) != KF_OK)
        abort();
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
        kf_seqset_add_annotated(s, ex[i], strlen(ex[i]), NULL);
    struct kf_crf_train_params p = kf_crf_default_train_params();
    p.threads = 1;
    p.max_iter = 20;
    if (kf_crf_train(s, p, &crf, NULL) != KF_OK)
        abort();
    kf_seqset_free(s);
}

static void fuzz__train(void)
{
    static const char *const rows[][2] = {
        {"refund", "I want a refund"}, {"refund", "我要退款"},   {"track", "where is my order"},
        {"track", "快递到哪了"},       {"oos", "weather today"}, {"oos", "讲个笑话"},
    };
    struct kf_dataset *ds;
    if (kf_dataset_new(&ds, NULL) != KF_OK)
        abort();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        kf_dataset_add(ds, rows[i][0], rows[i][1], strlen(rows[i][1]), NULL);
    struct kf_train_params p = kf_train_default_params();
    p.threads = 1;
    if (kf_classifier_train(ds, NULL, p, &model, NULL) != KF_OK)
        abort();
    kf_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (model == NULL) {
        fuzz__train();
        fuzz__entities();
    }
    struct kf_arena *a = kf_arena_new(0, 0);
    const char *s = (const char *)data;
    char *norm;
    size_t nlen;
    struct kf_terms terms;
    kf_text_normalize(s, size, a, &norm, &nlen, NULL);
    kf_text_analyze(s, size, a, &terms, NULL);
    kf_text_detect_lang(s, size);
    struct kf_fvec x;
    struct kf_feature_params fp = kf_feature_default_params();
    kf_features_extract(s, size, &fp, a, &x, NULL);
    struct kf_prediction top[4];
    size_t n;
    kf_classifier_predict(model, s, size, a, top, 4, &n, NULL);
    char out[256];
    kf_dataset_strip_annotations(s, size, out, sizeof out);
    struct kf_entity ents[64];
    struct kf_time_ref ref = {1795582800, 480};
    kf_patterns_extract(patterns, s, size, ref, a, ents, 64);
    kf_catalogue_match(catalogue, s, size, a, ents, 64);
    kf_crf_extract(crf, NULL, s, size, a, ents, 64);
    struct kf_seqset *seqs;
    if (kf_seqset_new(&seqs, NULL) == KF_OK) {
        kf_seqset_add_annotated(seqs, s, size, NULL);
        kf_seqset_free(seqs);
    }
    struct kf_ydoc *doc;
    if (kf_ydoc_load_string("fuzz.yaml", s, size, &doc, NULL) == KF_OK)
        kf_ydoc_free(doc);
    kf_arena_free(a);
    return 0;
}
