/*
 * fake_orders.c — the fake order service of fake_orders.h (see there for the
 * API and the JSON shapes).
 *
 * How: libmicrohttpd with an internal polling thread and one thread per
 * connection (so a scripted delay holds up only its own request); a mutex
 * guards the orders (a jansson array) and the counters. POST bodies are
 * collected per request up to 64 KiB (larger: 413).
 */
#include "fake_orders.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fake_orders {
    struct MHD_Daemon *d;
    unsigned short port;
    char url[64];
    char *auth;
    pthread_mutex_t mu;
    json_t *orders; /* array of their-shape orders */
    long requests, posts;
    char last_auth[512];
    int script_n, script_status;
    long script_delay_ms;
    int rma_seq;
};

/* t as "2026-01-05T10:00:00Z" */
static void fake__iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The DS3… orders, named like the demo bot's order numbers (DS + 11 digits)
 * so a chat can mention them; their times are relative to now, so the
 * delivered one stays inside a 30-day return window. Their customer ids are
 * strings, as many company systems have them. */
static void fake__add_recent(json_t *a)
{
    time_t now = time(NULL);
    const long day = 24 * 3600;
    char c1[32], eta1[32], c2[32], c3[32], d3[32], c9[32];
    fake__iso(now - 2 * day, c1);
    fake__iso(now + 2 * day, eta1);
    fake__iso(now - 1 * day, c2);
    fake__iso(now - 10 * day, c3);
    fake__iso(now - 5 * day, d3);
    fake__iso(now - 1 * day, c9);
    json_t *o[4];
    o[0] =
        json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:i,s:f}],"
                  "s:{s:s,s:s,s:s,s:s},s:s}",
                  "id", "DS30000000001", "customer", "id", "web-user-7", "name", "Li Lei", "state",
                  "SHIPPED", "created", c1, "amount", "value", "129.00", "currency", "CNY", "lines",
                  "product_code", "SKU-LAMP", "title", "Desk lamp", "quantity", 1, "unit_price",
                  129.0, "shipping", "carrier_name", "SF Express", "tracking", "SF3000000001",
                  "state", "IN_TRANSIT", "eta", eta1, "shipping_address", "Shanghai, Pudong, ***");
    o[1] = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:i,s:f}],s:n,s:s}", "id",
                     "DS30000000002", "customer", "id", "web-user-7", "name", "Li Lei", "state",
                     "PAID", "created", c2, "amount", "value", "45.00", "currency", "CNY", "lines",
                     "product_code", "SKU-BAG", "title", "Tote bag", "quantity", 1, "unit_price",
                     45.0, "shipping", "shipping_address", "Beijing, ***");
    o[2] = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:i,s:f}],"
                     "s:{s:s,s:s,s:s,s:s},s:s,s:s}",
                     "id", "DS30000000003", "customer", "id", "web-user-7", "name", "Li Lei",
                     "state", "DELIVERED", "created", c3, "amount", "value", "88.00", "currency",
                     "CNY", "lines", "product_code", "SKU-SHOE", "title", "Sneakers", "quantity", 1,
                     "unit_price", 88.0, "shipping", "carrier_name", "YTO", "tracking",
                     "YT3000000003", "state", "DELIVERED", "eta", d3, "delivered", d3,
                     "shipping_address", "Beijing, ***");
    o[3] = json_pack("{s:s,s:{s:s,s:s},s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:i,s:f}],s:n,s:s}", "id",
                     "DS30000000009", "customer", "id", "web-user-8", "name", "Han Meimei", "state",
                     "PAID", "created", c9, "amount", "value", "66.00", "currency", "CNY", "lines",
                     "product_code", "SKU-PEN", "title", "Pen set", "quantity", 2, "unit_price",
                     33.0, "shipping", "shipping_address", "Wuhan, ***");
    for (int i = 0; i < 4; i++) {
        if (o[i] == NULL) {
            fprintf(stderr, "fake_orders: cannot build recent order %d\n", i);
            abort();
        }
        json_array_append_new(a, o[i]);
    }
}

static json_t *fake__initial(void)
{
    const char *text =
        "["
        "{\"id\":\"A1001\",\"customer\":{\"id\":7,\"name\":\"Li Lei\"},\"state\":\"SHIPPED\","
        "\"created\":\"2026-01-05T10:00:00Z\",\"amount\":{\"value\":\"199.00\",\"currency\":"
        "\"CNY\"},\"lines\":[{\"product_code\":\"SKU-MUG\",\"title\":\"Mug\",\"quantity\":2,"
        "\"unit_price\":99.5}],\"shipping\":{\"carrier_name\":\"SF Express\",\"tracking\":"
        "\"SF1234567890\",\"state\":\"IN_TRANSIT\",\"eta\":\"2026-01-08T18:00:00+08:00\"},"
        "\"shipping_address\":\"Shanghai, Pudong, ***\"},"
        "{\"id\":\"A1002\",\"customer\":{\"id\":7,\"name\":\"Li Lei\"},\"state\":\"PAID\","
        "\"created\":\"2026-01-06T09:30:00Z\",\"amount\":{\"value\":\"59.00\",\"currency\":"
        "\"CNY\"},\"lines\":[{\"product_code\":\"SKU-TEE\",\"title\":\"T-shirt\",\"quantity\":1,"
        "\"unit_price\":59}],\"shipping\":null,\"shipping_address\":\"Beijing, ***\"},"
        "{\"id\":\"A1003\",\"customer\":{\"id\":7,\"name\":\"Li Lei\"},\"state\":\"NEW\","
        "\"created\":\"2026-01-07T08:00:00Z\",\"amount\":{\"value\":\"25.00\",\"currency\":"
        "\"CNY\"},\"lines\":[{\"product_code\":\"SKU-CAP\",\"title\":\"Cap\",\"quantity\":1,"
        "\"unit_price\":25}],\"shipping\":null,\"shipping_address\":\"Beijing, ***\"},"
        "{\"id\":\"A1004\",\"customer\":{\"id\":7,\"name\":\"Li Lei\"},\"state\":\"DELIVERED\","
        "\"created\":\"2025-12-20T12:00:00Z\",\"amount\":{\"value\":\"30.00\",\"currency\":"
        "\"CNY\"},\"lines\":[{\"product_code\":\"SKU-SOCK\",\"title\":\"Socks\",\"quantity\":3,"
        "\"unit_price\":10}],\"shipping\":{\"carrier_name\":\"YTO\",\"tracking\":\"YT0000001\","
        "\"state\":\"DELIVERED\",\"eta\":null},\"shipping_address\":\"Beijing, ***\"},"
        "{\"id\":\"B2001\",\"customer\":{\"id\":8,\"name\":\"Han Meimei\"},\"state\":\"PAID\","
        "\"created\":\"2026-01-02T10:00:00Z\",\"amount\":{\"value\":\"12.00\",\"currency\":"
        "\"CNY\"},\"lines\":[],\"shipping\":null,\"shipping_address\":\"Wuhan, ***\"}"
        "]";
    json_error_t je;
    json_t *a = json_loads(text, 0, &je);
    if (a == NULL) {
        fprintf(stderr, "fake_orders: bad seed JSON: %s\n", je.text);
        abort();
    }
    fake__add_recent(a);
    return a;
}

static json_t *fake__find(struct fake_orders *f, const char *id, size_t len)
{
    size_t i;
    json_t *o;
    json_array_foreach(f->orders, i, o)
    {
        const char *oid = json_string_value(json_object_get(o, "id"));
        if (strlen(oid) == len && memcmp(oid, id, len) == 0)
            return o;
    }
    return NULL;
}

struct req {
    char *body;
    size_t len;
    int too_big;
};

static enum MHD_Result fake__send(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result fake__error(struct MHD_Connection *c, unsigned status, const char *code,
                                   const char *msg)
{
    return fake__send(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

static int fake__state_ok(const char *s)
{
    return strcmp(s, "NEW") == 0 || strcmp(s, "PAID") == 0 || strcmp(s, "SHIPPED") == 0 ||
           strcmp(s, "DELIVERED") == 0 || strcmp(s, "CANCELLED") == 0;
}

/* POST update/cancel with f->mu held; *status and *answer out. */
static void fake__update(struct fake_orders *f, json_t *o, json_t *in, unsigned *status,
                         json_t **answer)
{
    const char *cur = json_string_value(json_object_get(o, "state"));
    int early = strcmp(cur, "NEW") == 0 || strcmp(cur, "PAID") == 0;
    const char *id = json_string_value(json_object_get(o, "id"));
    char msg[200];
    json_t *st = json_object_get(in, "state");
    json_t *addr = json_object_get(in, "shipping_address");
    if (st != NULL && (!json_is_string(st) || !fake__state_ok(json_string_value(st)))) {
        *status = 422;
        *answer =
            json_pack("{s:{s:s,s:s}}", "error", "code", "BAD_STATE", "message", "unknown state");
        return;
    }
    if ((st != NULL && strcmp(json_string_value(st), "CANCELLED") == 0 && !early) ||
        (addr != NULL && !early)) {
        snprintf(msg, sizeof msg, "order %s is %s and can no longer be changed", id, cur);
        *status = 409;
        *answer = json_pack("{s:{s:s,s:s}}", "error", "code", "INVALID_STATE", "message", msg);
        return;
    }
    if (st != NULL)
        json_object_set(o, "state", st);
    if (json_is_string(addr))
        json_object_set(o, "shipping_address", addr);
    (void)f;
    *status = 200;
    *answer = json_pack("{s:O}", "data", o);
}

static enum MHD_Result fake__handle(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *data_size, void **con_cls)
{
    struct fake_orders *f = cls;
    (void)version;
    struct req *r = *con_cls;
    if (r == NULL) {
        r = calloc(1, sizeof *r);
        *con_cls = r;
        return MHD_YES;
    }
    if (*data_size > 0) {
        if (r->len + *data_size > 64 * 1024) {
            r->too_big = 1;
        } else {
            char *nb = realloc(r->body, r->len + *data_size + 1);
            memcpy(nb + r->len, data, *data_size);
            r->body = nb;
            r->len += *data_size;
            r->body[r->len] = '\0';
        }
        *data_size = 0;
        return MHD_YES;
    }

    /* the whole request is in: count it, then follow the script */
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&f->mu);
    f->requests++;
    if (strcmp(method, "POST") == 0)
        f->posts++;
    snprintf(f->last_auth, sizeof f->last_auth, "%s", auth ? auth : "");
    int scripted = 0, sstatus = 0;
    long delay = 0;
    if (f->script_n > 0) {
        f->script_n--;
        scripted = 1;
        sstatus = f->script_status;
        delay = f->script_delay_ms;
    }
    pthread_mutex_unlock(&f->mu);
    if (scripted && delay > 0) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (scripted && sstatus != 0)
        return fake__error(c, (unsigned)sstatus, "SCRIPTED", "scripted");
    if (f->auth != NULL && (auth == NULL || strcmp(auth, f->auth) != 0))
        return fake__error(c, 401, "UNAUTHORIZED", "unauthorized");
    if (r->too_big)
        return fake__error(c, 413, "TOO_BIG", "body too large");

    const char *prefix = "/api/orders";
    size_t pl = strlen(prefix);
    if (strncmp(url, prefix, pl) != 0)
        return fake__error(c, 404, "NOT_FOUND", "no such endpoint");
    const char *rest = url + pl;
    unsigned status = 200;
    json_t *answer = NULL;
    pthread_mutex_lock(&f->mu);
    if (strcmp(method, "GET") == 0 && (rest[0] == '\0' || strcmp(rest, "/") == 0)) {
        const char *cust = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "customer");
        json_t *list = json_array();
        size_t i;
        json_t *o;
        json_array_foreach(f->orders, i, o)
        {
            /* customer ids are integers (A…, B…) or strings (DS…) */
            json_t *cid = json_object_get(json_object_get(o, "customer"), "id");
            char text[64];
            if (json_is_integer(cid))
                snprintf(text, sizeof text, "%lld", (long long)json_integer_value(cid));
            else
                snprintf(text, sizeof text, "%s",
                         json_is_string(cid) ? json_string_value(cid) : "");
            if (cust == NULL || strcmp(cust, text) == 0)
                json_array_append(list, o);
        }
        answer = json_pack("{s:{s:o,s:I}}", "data", "orders", list, "count",
                           (json_int_t)json_array_size(list));
    } else if (rest[0] == '/') {
        const char *id = rest + 1;
        const char *slash = strchr(id, '/');
        size_t idlen = slash ? (size_t)(slash - id) : strlen(id);
        const char *action = slash ? slash + 1 : "";
        json_t *o = fake__find(f, id, idlen);
        json_t *in = r->body ? json_loads(r->body, 0, NULL) : json_object();
        char msg[128];
        if (o == NULL) {
            snprintf(msg, sizeof msg, "no order %.*s", (int)(idlen < 64 ? idlen : 64), id);
            status = 404;
            answer = json_pack("{s:{s:s,s:s}}", "error", "code", "NOT_FOUND", "message", msg);
        } else if (strcmp(method, "GET") == 0 && action[0] == '\0') {
            answer = json_pack("{s:O}", "data", o);
        } else if (strcmp(method, "POST") == 0 && in == NULL) {
            status = 400;
            answer = json_pack("{s:{s:s,s:s}}", "error", "code", "BAD_JSON", "message",
                               "body is not JSON");
        } else if (strcmp(method, "POST") == 0 && strcmp(action, "update") == 0) {
            fake__update(f, o, in, &status, &answer);
        } else if (strcmp(method, "POST") == 0 && strcmp(action, "cancel") == 0) {
            json_t *cin = json_pack("{s:s}", "state", "CANCELLED");
            fake__update(f, o, cin, &status, &answer);
            json_decref(cin);
        } else if (strcmp(method, "POST") == 0 && strcmp(action, "returns") == 0) {
            const char *type = json_string_value(json_object_get(in, "type"));
            const char *state = json_string_value(json_object_get(o, "state"));
            if (type == NULL || (strcmp(type, "RETURN") != 0 && strcmp(type, "EXCHANGE") != 0)) {
                status = 422;
                answer = json_pack("{s:{s:s,s:s}}", "error", "code", "BAD_TYPE", "message",
                                   "type must be RETURN or EXCHANGE");
            } else if (strcmp(state, "DELIVERED") != 0) {
                status = 409;
                snprintf(msg, sizeof msg, "order is %s: returns need a delivered order", state);
                answer =
                    json_pack("{s:{s:s,s:s}}", "error", "code", "INVALID_STATE", "message", msg);
            } else {
                char rma[64];
                snprintf(rma, sizeof rma, "RMA-%s-%d", json_string_value(json_object_get(o, "id")),
                         ++f->rma_seq);
                status = 201;
                answer = json_pack("{s:{s:s,s:s,s:s,s:s}}", "data", "rma", rma, "type", type,
                                   "state", "REQUESTED", "created", "2026-01-10T10:00:00Z");
            }
        } else {
            status = 404;
            answer = json_pack("{s:{s:s,s:s}}", "error", "code", "NOT_FOUND", "message",
                               "no such endpoint");
        }
        json_decref(in);
    } else {
        status = 404;
        answer =
            json_pack("{s:{s:s,s:s}}", "error", "code", "NOT_FOUND", "message", "no such endpoint");
    }
    pthread_mutex_unlock(&f->mu);
    return fake__send(c, status, answer);
}

static void fake__done(void *cls, struct MHD_Connection *c, void **con_cls,
                       enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req *r = *con_cls;
    if (r != NULL) {
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

struct fake_orders *fake_orders_start(const char *auth)
{
    struct fake_orders *f = calloc(1, sizeof *f);
    if (f == NULL)
        abort();
    pthread_mutex_init(&f->mu, NULL);
    f->auth = auth ? strdup(auth) : NULL;
    f->orders = fake__initial();
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, fake__handle, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
        fake__done, f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (f->d == NULL) {
        fprintf(stderr, "fake_orders: cannot start the daemon\n");
        abort();
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info ? info->port : 0;
    if (f->port == 0) {
        fprintf(stderr, "fake_orders: no port\n");
        abort();
    }
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/api", (unsigned)f->port);
    return f;
}

void fake_orders_stop(struct fake_orders *f)
{
    if (f == NULL)
        return;
    MHD_stop_daemon(f->d);
    json_decref(f->orders);
    free(f->auth);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const char *fake_orders_url(const struct fake_orders *f)
{
    return f->url;
}

unsigned short fake_orders_port(const struct fake_orders *f)
{
    return f->port;
}

void fake_orders_script(struct fake_orders *f, int n, int status, long delay_ms)
{
    pthread_mutex_lock(&f->mu);
    f->script_n = n;
    f->script_status = status;
    f->script_delay_ms = delay_ms;
    pthread_mutex_unlock(&f->mu);
}

long fake_orders_requests(struct fake_orders *f)
{
    pthread_mutex_lock(&f->mu);
    long n = f->requests;
    pthread_mutex_unlock(&f->mu);
    return n;
}

long fake_orders_posts(struct fake_orders *f)
{
    pthread_mutex_lock(&f->mu);
    long n = f->posts;
    pthread_mutex_unlock(&f->mu);
    return n;
}

void fake_orders_last_auth(struct fake_orders *f, char *out, size_t cap)
{
    pthread_mutex_lock(&f->mu);
    snprintf(out, cap, "%s", f->last_auth);
    pthread_mutex_unlock(&f->mu);
}

void fake_orders_reset(struct fake_orders *f)
{
    pthread_mutex_lock(&f->mu);
    json_decref(f->orders);
    f->orders = fake__initial();
    f->requests = 0;
    f->posts = 0;
    f->last_auth[0] = '\0';
    f->script_n = 0;
    f->rma_seq = 0;
    pthread_mutex_unlock(&f->mu);
}
