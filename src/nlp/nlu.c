/*
 * nlu.c — load-or-train the bot's models and run them (see nlu.h).
 */
#include "kefu/nlu.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kefu/dataset.h"
#include "kefu/mem.h"
#include "kefu/t2s.h"
#include "kefu/text.h"

static const char *const tasks[] = {"intent", "sentiment", "anger", "spam"};
#define NTASKS (sizeof tasks / sizeof tasks[0])

struct kf_nlu {
    struct kf_classifier *model[NTASKS];
    struct kf_t2s *t2s; /* shared by the models */
    struct kf_entities *entities;
    int utc_offset_min;
};

void kf_nlu_free(struct kf_nlu *nlu)
{
    if (nlu == NULL)
        return;
    for (size_t i = 0; i < NTASKS; i++)
        kf_classifier_free(nlu->model[i]);
    kf_entities_free(nlu->entities);
    kf_t2s_free(nlu->t2s);
    kf_free(nlu);
}

const struct kf_classifier *kf_nlu_model(const struct kf_nlu *nlu, const char *task)
{
    for (size_t i = 0; i < NTASKS; i++)
        if (strcmp(tasks[i], task) == 0)
            return nlu->model[i];
    return NULL;
}

/* Newest modification time of the data files in a folder; 0 if none. */
static time_t nlu__newest(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    time_t newest = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime > newest)
            newest = sb.st_mtime;
    }
    closedir(d);
    return newest;
}

static int nlu__mkdirs(const char *path, struct kf_err *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return kf_errorf(err, KF_EIO, "cannot create %s: %s", dir, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return kf_errorf(err, KF_EIO, "cannot create %s: %s", dir, strerror(errno));
    return KF_OK;
}

/* Save under a private temporary name (several kefu processes may start at
 * once), then rename into place. */
static int nlu__save(const void *model, int (*save)(const void *, const char *, struct kf_err *),
                     const char *path, struct kf_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid());
    int rc = save(model, tmp, err);
    if (rc == KF_OK && rename(tmp, path) != 0)
        rc = kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    if (rc != KF_OK)
        remove(tmp);
    return rc;
}

static int nlu__save_classifier(const void *m, const char *path, struct kf_err *err)
{
    return kf_classifier_save(m, path, err);
}

static int nlu__save_crf(const void *m, const char *path, struct kf_err *err)
{
    return kf_crf_save(m, path, err);
}

static int nlu__train(const char *task, const char *data, const char *model, int threads,
                      const struct kf_t2s *t2s, struct kf_log *log, struct kf_err *err)
{
    struct kf_dataset *ds;
    int rc = kf_dataset_new(&ds, err);
    if (rc != KF_OK)
        return rc;
    rc = kf_dataset_load(ds, data, err);
    struct kf_classifier *c = NULL;
    struct kf_train_params p = kf_train_default_params();
    p.task = task;
    p.threads = threads > 0 ? threads : 2;
    p.features.t2s_table = t2s;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == KF_OK)
        rc = kf_classifier_train(ds, NULL, p, &c, err);
    if (rc == KF_OK)
        rc = nlu__save(c, nlu__save_classifier, model, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == KF_OK)
        KF_INFO(log, "nlu", "trained %s model on %zu examples (%zu labels) in %.1f s → %s", task,
                ds->n, kf_classifier_nlabels(c),
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, model);
    kf_classifier_free(c);
    kf_dataset_free(ds);
    return rc;
}

static void nlu__crf_progress(void *ud, int iter, double loss, double seconds)
{
    (void)ud, (void)iter, (void)loss, (void)seconds;
}

static int nlu__train_crf(const char *data, const char *model, const char *catalogue,
                          int threads, struct kf_log *log, struct kf_err *err)
{
    struct kf_seqset *s = NULL;
    struct kf_catalogue *cat = NULL;
    struct kf_crf *c = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = kf_seqset_new(&s, err);
    if (rc == KF_OK)
        rc = kf_seqset_load(s, data, err);
    if (rc == KF_OK && catalogue != NULL)
        rc = kf_catalogue_load(catalogue, &cat, err);
    if (rc == KF_OK) {
        struct kf_crf_train_params tp = kf_crf_default_train_params();
        /* BIO keeps the label set small, so extraction stays a few µs */
        tp.bioes = 0;
        /* the bot's data is small: 50 iterations are within 0.2 F1 of 200
         * on tests/entities-test.yaml and keep the first start short */
        tp.max_iter = 50;
        tp.threads = threads > 0 ? threads : 2;
        tp.catalogue = cat;
        tp.progress = nlu__crf_progress;
        rc = kf_crf_train(s, tp, &c, err);
    }
    if (rc == KF_OK)
        rc = nlu__save(c, nlu__save_crf, model, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == KF_OK)
        KF_INFO(log, "nlu", "trained entity model on %zu examples (%zu types) in %.1f s → %s",
                kf_seqset_size(s), kf_crf_ntypes(c),
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, model);
    kf_crf_free(c);
    kf_catalogue_free(cat);
    kf_seqset_free(s);
    return rc;
}

int kf_nlu_entity_model(const char *data_dir, const char *model_dir, const char *catalogue,
                        int threads, struct kf_log *log, char *path, size_t cap,
                        struct kf_err *err)
{
    path[0] = '\0';
    time_t newest = data_dir != NULL ? nlu__newest(data_dir) : 0;
    if (newest == 0)
        return KF_OK; /* no entity data: patterns and catalogue only */
    struct stat sb;
    if (catalogue != NULL && stat(catalogue, &sb) == 0 && sb.st_mtime > newest)
        newest = sb.st_mtime;
    else if (catalogue != NULL && stat(catalogue, &sb) != 0)
        catalogue = NULL;
    snprintf(path, cap, "%s/entities.kfm", model_dir);
    int rc = KF_OK;
    if (stat(path, &sb) != 0 || sb.st_mtime < newest) {
        rc = nlu__mkdirs(model_dir, err);
        if (rc == KF_OK)
            rc = nlu__train_crf(data_dir, path, catalogue, threads, log, err);
    } else {
        /* an unreadable model (older feature version, damaged): train again */
        struct kf_crf *c = NULL;
        struct kf_err e2 = {0};
        if (kf_crf_load(path, &c, &e2) != KF_OK) {
            KF_WARN(log, "nlu", "%s; training it again", e2.msg);
            rc = nlu__train_crf(data_dir, path, catalogue, threads, log, err);
        }
        kf_crf_free(c);
    }
    if (rc != KF_OK)
        kf_err_prefix(err, "nlu entities");
    return rc;
}

int kf_nlu_open(struct kf_nlu_params p, struct kf_nlu **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_nlu *nlu = kf_calloc(1, sizeof *nlu);
    if (nlu == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = kf_t2s_new(&nlu->t2s, err);
    for (size_t i = 0; i < NTASKS && rc == KF_OK && p.data_dir != NULL; i++) {
        char data[4096], model[4096];
        snprintf(data, sizeof data, "%s/%s", p.data_dir, tasks[i]);
        time_t newest = nlu__newest(data);
        if (newest == 0)
            continue; /* no data for this task */
        snprintf(model, sizeof model, "%s/%s.kfm", p.model_dir, tasks[i]);
        struct stat sb;
        int stale = stat(model, &sb) != 0 || sb.st_mtime < newest;
        if (stale) {
            rc = nlu__mkdirs(p.model_dir, err);
            if (rc == KF_OK)
                rc = nlu__train(tasks[i], data, model, p.threads, nlu->t2s, p.log, err);
        }
        if (rc == KF_OK)
            rc = kf_classifier_load_with(model, nlu->t2s, &nlu->model[i], err);
        if (rc == KF_EPARSE && !stale) {
            /* an unreadable model (older format, damaged): its data is here,
             * so build it again rather than refuse to start */
            KF_WARN(p.log, "nlu", "%s; training it again", err ? err->msg : model);
            rc = nlu__train(tasks[i], data, model, p.threads, nlu->t2s, p.log, err);
            if (rc == KF_OK)
                rc = kf_classifier_load_with(model, nlu->t2s, &nlu->model[i], err);
        }
        if (rc != KF_OK)
            kf_err_prefix(err, "nlu %s", tasks[i]);
    }
    nlu->utc_offset_min = p.utc_offset_min;
    char crf[4096] = "";
    if (rc == KF_OK && p.data_dir != NULL) {
        char data[4096];
        snprintf(data, sizeof data, "%s/entities", p.data_dir);
        rc = kf_nlu_entity_model(data, p.model_dir, p.catalogue, p.threads, p.log, crf,
                                 sizeof crf, err);
    }
    if (rc == KF_OK) {
        struct kf_entities_params ep = kf_entities_default_params();
        ep.catalogue = p.catalogue;
        ep.crf_model = crf[0] ? crf : NULL;
        ep.rules = p.rules;
        ep.nrules = p.nrules;
        rc = kf_entities_new(ep, &nlu->entities, err);
        if (rc != KF_OK)
            kf_err_prefix(err, "nlu entities");
    }
    if (rc != KF_OK) {
        kf_nlu_free(nlu);
        return rc;
    }
    *out = nlu;
    return KF_OK;
}

int kf_nlu_utc_offset(const struct kf_nlu *nlu) { return nlu->utc_offset_min; }
const struct kf_entities *kf_nlu_entities(const struct kf_nlu *nlu) { return nlu->entities; }

static double nlu__prob_of(const struct kf_classifier *c, const struct kf_prediction *p, size_t n,
                           const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kf_classifier_label(c, (size_t)p[i].label), label) == 0)
            return p[i].prob;
    return 0;
}

/* Rank a model's labels, sharing the feature extraction between models
 * whose feature settings are the same. */
static int nlu__predict(const struct kf_classifier *c, const char *text, size_t len,
                        const char *norm, size_t nlen, struct kf_arena *a, struct kf_fvec *cache,
                        const struct kf_feature_params **cached, struct kf_prediction *top,
                        size_t max, size_t *n, struct kf_err *err)
{
    const struct kf_feature_params *fp = kf_classifier_features(c);
    if (*cached == NULL || memcmp(*cached, fp, sizeof *fp) != 0) {
        /* the pipeline normalised with t2s already: reuse it for t2s models */
        int rc = fp->t2s ? kf_features_from_normalized(norm, nlen, fp, a, cache, err)
                         : kf_features_extract(text, len, fp, a, cache, err);
        if (rc != KF_OK)
            return rc;
        *cached = fp;
    }
    return kf_classifier_predict_features(c, cache, a, top, max, n, err);
}

int kf_nlu_parse(const struct kf_nlu *nlu, const char *text, size_t len, struct kf_arena *a,
                 struct kf_nlu_result *out, struct kf_err *err)
{
    struct kf_time_ref ref = {(int64_t)time(NULL), nlu->utc_offset_min};
    return kf_nlu_parse_at(nlu, text, len, ref, a, out, err);
}

int kf_nlu_parse_at(const struct kf_nlu *nlu, const char *text, size_t len,
                    struct kf_time_ref ref, struct kf_arena *a, struct kf_nlu_result *out,
                    struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    char *norm;
    size_t nlen;
    int rc = kf_text_normalize_t2s(text, len, nlu->t2s, a, &norm, &nlen, err);
    if (rc != KF_OK)
        return rc;
    out->normalized = norm;
    out->lang = kf_text_detect_lang(norm, nlen);
    out->sentiment = "";
    out->intent = "";
    struct kf_prediction top[64];
    size_t n;
    struct kf_fvec x;
    const struct kf_feature_params *xp = NULL;
    const struct kf_classifier *c = nlu->model[0];
    if (c != NULL) {
        rc = nlu__predict(c, text, len, norm, nlen, a, &x, &xp, top, KF_NLU_TOP, &n, err);
        if (rc != KF_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            out->intents[i] = (struct kf_nlu_label){kf_classifier_label(c, (size_t)top[i].label),
                                                   top[i].prob};
        out->nintents = n;
        out->intent = kf_classifier_decide(c, top, n);
        out->intent_confidence = n ? top[0].prob : 0;
    }
    if ((c = nlu->model[1]) != NULL) {
        if ((rc = nlu__predict(c, text, len, norm, nlen, a, &x, &xp, top, 64, &n, err)) != KF_OK)
            return rc;
        out->sentiment = n ? kf_classifier_label(c, (size_t)top[0].label) : "";
        out->sentiment_score =
            nlu__prob_of(c, top, n, "positive") - nlu__prob_of(c, top, n, "negative");
    }
    if ((c = nlu->model[2]) != NULL) {
        if ((rc = nlu__predict(c, text, len, norm, nlen, a, &x, &xp, top, 64, &n, err)) != KF_OK)
            return rc;
        out->anger = nlu__prob_of(c, top, n, "angry");
        out->angry = out->anger >= 0.5;
    }
    if ((c = nlu->model[3]) != NULL) {
        if ((rc = nlu__predict(c, text, len, norm, nlen, a, &x, &xp, top, 64, &n, err)) != KF_OK)
            return rc;
        out->spam = nlu__prob_of(c, top, n, "spam");
        out->is_spam = out->spam >= 0.5;
    }
    if (nlu->entities != NULL) {
        out->entities = kf_arena_alloc(a, KF_ENTITIES_MAX * sizeof *out->entities);
        if (out->entities == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        out->nentities = kf_entities_extract(nlu->entities, text, len, ref, a, out->entities,
                                             KF_ENTITIES_MAX);
    }
    return KF_OK;
}
