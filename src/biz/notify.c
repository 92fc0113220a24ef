/*
 * notify.c — webhook delivery from the outbox (notify.h).
 *
 * One run: claim up to `batch` due rows of the topics with a receiver
 * (kf_ops_outbox_claim leases them for a minute, so a run that dies leaves
 * them due again), POST each with a fresh curl handle, and mark it. The
 * run is sequential: a receiver that hangs costs at most timeout_ms per row
 * and delays only later rows of this run, never the server's requests (the
 * scheduler's thread does this).
 *
 * Assumes libcurl >= 7.85 (CURLOPT_PROTOCOLS_STR), whose curl_global_init
 * is thread-safe (as connector_http.c does).
 */
#include "kefu/notify.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kefu/arena.h"
#include "kefu/mem.h"
#include "kefu/ops.h"

#define NOTIFY_URL_MAX 2048
#define NOTIFY_LEASE_MS 60000

struct kf_notify {
    struct kf_notify_params p;
    struct kf_store *st;
    struct kf_log *log;
    char topics[KF_NOTIFY_TARGETS_MAX][KF_OUTBOX_TOPIC_MAX];
    char urls[KF_NOTIFY_TARGETS_MAX][NOTIFY_URL_MAX];
    size_t n; /* targets with a URL */
};

struct kf_notify_params kf_notify_default_params(void)
{
    return (struct kf_notify_params){.timeout_ms = 5000,
                                     .max_attempts = 8,
                                     .backoff_min_ms = 1000,
                                     .backoff_max_ms = 600000,
                                     .batch = 32};
}

long long kf_notify_backoff_ms(const struct kf_notify_params *p, int attempts)
{
    long long d = p->backoff_min_ms > 0 ? p->backoff_min_ms : 1000;
    long long cap = p->backoff_max_ms > 0 ? p->backoff_max_ms : 600000;
    for (int i = 1; i < attempts && d < cap; i++)
        d *= 2;
    return d < cap ? d : cap;
}

static long long notify__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kf_notify_new(struct kf_notify_params p, struct kf_store *st, struct kf_log *log,
                  struct kf_notify **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_notify_params d = kf_notify_default_params();
    if (p.timeout_ms <= 0)
        p.timeout_ms = d.timeout_ms;
    if (p.max_attempts <= 0)
        p.max_attempts = d.max_attempts;
    if (p.backoff_min_ms <= 0)
        p.backoff_min_ms = d.backoff_min_ms;
    if (p.backoff_max_ms < p.backoff_min_ms)
        p.backoff_max_ms = p.backoff_min_ms > d.backoff_max_ms ? p.backoff_min_ms
                                                               : d.backoff_max_ms;
    if (p.batch <= 0 || p.batch > KF_OUTBOX_CLAIM_MAX)
        p.batch = d.batch;
    if (p.ntargets > KF_NOTIFY_TARGETS_MAX)
        return kf_errorf(err, KF_EINVAL, "notify: at most %d targets", KF_NOTIFY_TARGETS_MAX);
    struct kf_notify *n = kf_calloc(1, sizeof *n);
    if (n == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    n->p = p;
    n->st = st;
    n->log = log;
    for (size_t i = 0; i < p.ntargets; i++) {
        const struct kf_notify_target *t = &p.targets[i];
        if (t->url == NULL || t->url[0] == '\0')
            continue;
        if (t->topic == NULL || t->topic[0] == '\0' || strlen(t->topic) >= KF_OUTBOX_TOPIC_MAX) {
            kf_notify_free(n);
            return kf_errorf(err, KF_EINVAL, "notify: a target without a topic");
        }
        if ((strncasecmp(t->url, "http://", 7) != 0 && strncasecmp(t->url, "https://", 8) != 0) ||
            strlen(t->url) >= NOTIFY_URL_MAX) {
            kf_notify_free(n);
            /* the URL itself is a secret: name the topic only */
            return kf_errorf(err, KF_ECONFIG,
                             "the webhook URL for '%s' is not an http:// or https:// URL (or is "
                             "longer than %d bytes)",
                             t->topic, NOTIFY_URL_MAX - 1);
        }
        snprintf(n->topics[n->n], sizeof n->topics[0], "%s", t->topic);
        snprintf(n->urls[n->n], sizeof n->urls[0], "%s", t->url);
        n->n++;
    }
    /* the URLs are kept here; the caller's copies are its own */
    for (size_t i = 0; i < KF_NOTIFY_TARGETS_MAX; i++)
        n->p.targets[i].url = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        kf_notify_free(n);
        return kf_errorf(err, KF_EINTERNAL, "notify: libcurl failed to start");
    }
    *out = n;
    return KF_OK;
}

void kf_notify_free(struct kf_notify *n)
{
    if (n == NULL)
        return;
    explicit_bzero(n->urls, sizeof n->urls);
    kf_free(n);
}

static size_t notify__discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

/* One POST. 0 on a 2xx; else -1 with a reason that does not name the URL. */
static int notify__post(const struct kf_notify *n, const char *url, const char *topic,
                        long long id, const char *payload, char *why, size_t cap)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(why, cap, "cannot start an HTTP request");
        return -1;
    }
    char h_topic[64], h_id[64];
    snprintf(h_topic, sizeof h_topic, "X-Kefu-Topic: %s", topic);
    snprintf(h_id, sizeof h_id, "X-Kefu-Delivery: %lld", id);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = hdr ? curl_slist_append(hdr, h_topic) : NULL;
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, h_id) : NULL;
    if (h3 == NULL) {
        curl_slist_free_all(h2 ? h2 : hdr);
        curl_easy_cleanup(curl);
        snprintf(why, cap, "out of memory");
        return -1;
    }
    hdr = h3;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, n->p.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, n->p.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "kefu-webhook");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, notify__discard);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(curl);
    if (cc != CURLE_OK) {
        /* curl_easy_strerror is generic ("Timeout was reached"); the error
         * buffer would name the host */
        snprintf(why, cap, "%s", curl_easy_strerror(cc));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf(why, cap, "HTTP %ld", status);
        return -1;
    }
    return 0;
}

int kf_notify_deliver(struct kf_notify *n, long long now_ms, struct kf_notify_run *run,
                      struct kf_err *err)
{
    memset(run, 0, sizeof *run);
    if (n == NULL || n->n == 0)
        return KF_OK;
    if (now_ms <= 0)
        now_ms = notify__now_ms();
    const char *topics[KF_NOTIFY_TARGETS_MAX];
    for (size_t i = 0; i < n->n; i++)
        topics[i] = n->topics[i];
    struct kf_arena *a = kf_arena_new(16384, (size_t)KF_OUTBOX_CLAIM_MAX *
                                                 (KF_OUTBOX_PAYLOAD_MAX + 64));
    if (a == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct kf_outbox_item items[KF_OUTBOX_CLAIM_MAX];
    int rc = kf_ops_outbox_claim(n->st, topics, n->n, now_ms, NOTIFY_LEASE_MS, n->p.batch, a,
                                 items, &run->claimed, err);
    for (size_t i = 0; rc == KF_OK && i < run->claimed; i++) {
        const struct kf_outbox_item *it = &items[i];
        size_t t = 0;
        while (t < n->n && strcmp(n->topics[t], it->topic) != 0)
            t++;
        if (t == n->n)
            continue; /* cannot happen: claimed by these topics */
        char why[256];
        int ok = notify__post(n, n->urls[t], it->topic, it->id, it->payload, why, sizeof why) == 0;
        long long at = notify__now_ms() > now_ms ? notify__now_ms() : now_ms;
        int attempts = it->attempts + 1;
        long long retry_at = 0;
        if (ok) {
            run->sent++;
        } else if (attempts < n->p.max_attempts) {
            retry_at = at + kf_notify_backoff_ms(&n->p, attempts);
            run->retried++;
        } else {
            run->failed++;
        }
        if (!ok)
            KF_WARN(n->log, "webhook", "%s #%lld: attempt %d failed: %s%s", it->topic, it->id,
                    attempts, why, retry_at ? "" : " (given up)");
        else
            KF_INFO(n->log, "webhook", "%s #%lld delivered (attempt %d)", it->topic, it->id,
                    attempts);
        rc = kf_ops_outbox_mark(n->st, it->id, ok, ok ? NULL : why, retry_at, at, err);
    }
    kf_arena_free(a);
    return rc;
}
