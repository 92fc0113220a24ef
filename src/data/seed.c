/*
 * seed.c — the generator of the deterministic demo shop (`kefu demo seed`,
 * kf_repo_seed in repo.h; docs/demo-data.md).
 *
 * Everything comes from one splitmix64 stream seeded by params.seed and is
 * laid out relative to params.now_ms, so the same (seed, now_ms, products,
 * sizes) always gives the same rows, byte for byte. The shop is built in
 * memory (struct kf_seed_data, repo_int.h) and written by the backend in
 * one transaction; nothing here knows SQL.
 *
 *   customers  external id "demo-customer-<n>" on channel web (n from 1),
 *              masked name "王*", phone "138****5678", email "z***@qq.com",
 *              a city, a tier (regular 60% silver 25% gold 11% vip 4%),
 *              a birthday for 40%.
 *   orders     created uniformly over the 365 days before now_ms; 1-3 items
 *              with Zipf-like product popularity, and a related category
 *              for the next item 45% of the time (phones → cases, screen
 *              protectors, chargers, cables, power banks, earphones; laptops
 *              → mice, keyboards; ...). The status follows from the times:
 *              paid 1-30 min after creation (25% of the last day's orders
 *              stay pending), shipped 4-36 h later, delivered 1-4 days
 *              after that; 4% are cancelled (refunded when paid).
 *              Numbers: "DS" + yyyymmdd (UTC+8) + a 3-digit daily sequence
 *              starting at 100, so they never collide with the fixed ones.
 *   shipments  顺丰 SF + 12 digits, 京东 JD + 13 digits, 圆通 YT + 13
 *              digits (the formats of src/nlp/patterns.c).
 *   payments   alipay 45%, wechat_pay 40%, card 15%.
 *   refunds    ~5% of delivered orders (70% completed, else processing).
 *   returns    ~3% of delivered orders (return 75%, exchange 25%).
 *   stock      per product: 0 (out of stock) for ~8%, else 5-500.
 *
 * Fixed orders of demo customer 1 (demo-customer-1), for tests and the demo
 * (their products: the first phone, case, earphones, laptop, charger and
 * tablet of the catalogue, else the first products):
 *   DS20261101001  shipped 2 days before now (SF100000000001), in transit
 *   DS20261101002  delivered 5 days before now: inside the 30-day return window
 *   DS20261101003  delivered 60 days before now: outside the return window
 *   DS20261101004  paid 50 minutes before now, not shipped: cancellable
 *   DS20261101005  pending (unpaid), created 20 minutes before now
 * They come on top of params.orders.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kefu/mem.h"
#include "repo_int.h"

#define SEED_DAY_MS 86400000LL
#define SEED_HOUR_MS 3600000LL
#define SEED_MIN_MS 60000LL
#define SEED_FIXED 5

/* ---- randomness ------------------------------------------------------- */

struct seed_rng {
    unsigned long long s;
};

/* splitmix64: tiny, fast, and every seed (even 0) gives a good stream. */
static unsigned long long seed__next(struct seed_rng *r)
{
    unsigned long long z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double seed__unit(struct seed_rng *r) /* [0, 1) */
{
    return (double)(seed__next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static long long seed__range(struct seed_rng *r, long long lo, long long hi) /* [lo, hi] */
{
    return lo + (long long)(seed__next(r) % (unsigned long long)(hi - lo + 1));
}

/* An index by weights summing to 100. */
static int seed__pick(struct seed_rng *r, const int *w, int n)
{
    int x = (int)seed__range(r, 0, 99), acc = 0;
    for (int i = 0; i < n; i++) {
        acc += w[i];
        if (x < acc)
            return i;
    }
    return n - 1;
}

/* ---- customers ---------------------------------------------------------- */

static const char *const SURNAMES[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                       "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"};
static const char *const CITIES[] = {"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉",
                                     "南京", "西安", "重庆", "苏州", "天津", "长沙", "郑州"};
static const char *const DISTRICTS[] = {"朝阳区", "浦东新区", "天河区", "南山区",
                                        "西湖区", "武侯区",   "江汉区", "鼓楼区"};
static const char *const TIERS[] = {"regular", "silver", "gold", "vip"};
static const int TIER_W[] = {60, 25, 11, 4};
static const char *const PHONE_PREFIX[] = {"138", "139", "186", "150", "177", "135", "188", "159"};
static const char *const MAIL_DOMAINS[] = {"qq.com", "163.com", "126.com", "gmail.com",
                                           "outlook.com"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void seed__customer(struct seed_rng *r, size_t i, long long now, struct kf_seed_customer *c)
{
    snprintf(c->external_id, sizeof c->external_id, "demo-customer-%zu", i + 1);
    snprintf(c->name, sizeof c->name, "%s*", SURNAMES[seed__range(r, 0, NELEM(SURNAMES) - 1)]);
    c->tier = TIERS[seed__pick(r, TIER_W, 4)];
    snprintf(c->email, sizeof c->email, "%c***@%s", (char)('a' + seed__range(r, 0, 25)),
             MAIL_DOMAINS[seed__range(r, 0, NELEM(MAIL_DOMAINS) - 1)]);
    snprintf(c->phone, sizeof c->phone, "%s****%04lld",
             PHONE_PREFIX[seed__range(r, 0, NELEM(PHONE_PREFIX) - 1)], seed__range(r, 0, 9999));
    c->city = CITIES[seed__range(r, 0, NELEM(CITIES) - 1)];
    c->birthday[0] = '\0';
    if (seed__unit(r) < 0.4)
        snprintf(c->birthday, sizeof c->birthday, "%04lld-%02lld-%02lld",
                 seed__range(r, 1965, 2005), seed__range(r, 1, 12), seed__range(r, 1, 28));
    c->created_at = now - seed__range(r, 365, 1000) * SEED_DAY_MS - seed__range(r, 0, SEED_DAY_MS);
}

/* ---- products: popularity and related categories -------------------------- */

/* Categories bought together (catalogue ids of bots/demo-shop). */
static const char *const RELATED[][2] = {
    {"phones", "phone-cases"},    {"phones", "screen-protectors"},
    {"phones", "chargers"},       {"phones", "cables"},
    {"phones", "power-banks"},    {"phones", "earphones"},
    {"tablets", "earphones"},     {"tablets", "chargers"},
    {"laptops", "mice"},          {"laptops", "keyboards"},
    {"cameras", "power-banks"},   {"game-consoles", "tvs"},
    {"smartwatches", "chargers"}, {"running-shoes", "fitness-bands"},
    {"face-creams", "serums"},    {"serums", "eye-creams"},
    {"chips", "drinks"},          {"nuts", "snacks"},
};

struct seed_catalog {
    const struct kf_seed_params *p;
    double *cum; /* cumulative popularity weights */
    double total;
};

static int seed__catalog_init(struct seed_catalog *k, const struct kf_seed_params *p,
                              struct seed_rng *r)
{
    k->p = p;
    k->cum = kf_calloc(p->nproducts, sizeof *k->cum);
    if (k->cum == NULL)
        return KF_ENOMEM;
    /* Zipf-like: weight 1/(1 + rank/4), with ranks a seeded shuffle */
    size_t *rank = kf_calloc(p->nproducts, sizeof *rank);
    if (rank == NULL) {
        kf_free(k->cum);
        return KF_ENOMEM;
    }
    for (size_t i = 0; i < p->nproducts; i++)
        rank[i] = i;
    for (size_t i = p->nproducts; i > 1; i--) {
        size_t j = (size_t)seed__range(r, 0, (long long)i - 1), t = rank[i - 1];
        rank[i - 1] = rank[j];
        rank[j] = t;
    }
    double acc = 0;
    for (size_t i = 0; i < p->nproducts; i++) {
        acc += 1.0 / (1.0 + (double)rank[i] / 4.0);
        k->cum[i] = acc;
    }
    k->total = acc;
    kf_free(rank);
    return KF_OK;
}

static size_t seed__popular(struct seed_catalog *k, struct seed_rng *r)
{
    double x = seed__unit(r) * k->total;
    size_t lo = 0, hi = k->p->nproducts - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int seed__same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The n-th product (n from 0) of a category, or -1. */
static long seed__in_category(const struct kf_seed_params *p, const char *cat, size_t n)
{
    for (size_t i = 0; i < p->nproducts; i++)
        if (seed__same(p->products[i].category, cat) && n-- == 0)
            return (long)i;
    return -1;
}

static size_t seed__count_category(const struct kf_seed_params *p, const char *cat)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nproducts; i++)
        n += seed__same(p->products[i].category, cat);
    return n;
}

/* A product bought with `with`: of a related category 45% of the time. */
static size_t seed__companion(struct seed_catalog *k, struct seed_rng *r, size_t with)
{
    const char *cat = k->p->products[with].category;
    const char *rel[NELEM(RELATED)];
    size_t nrel = 0;
    for (size_t i = 0; i < NELEM(RELATED); i++)
        if (seed__same(RELATED[i][0], cat))
            rel[nrel++] = RELATED[i][1];
    if (nrel > 0 && seed__unit(r) < 0.45) {
        const char *to = rel[seed__range(r, 0, (long long)nrel - 1)];
        size_t n = seed__count_category(k->p, to);
        if (n > 0)
            return (size_t)seed__in_category(k->p, to, (size_t)seed__range(r, 0, (long long)n - 1));
    }
    return seed__popular(k, r);
}

/* ---- orders ------------------------------------------------------------- */

static void seed__items(struct seed_catalog *k, struct seed_rng *r, struct kf_seed_order *o)
{
    static const int NITEMS_W[] = {60, 30, 10};
    o->nitems = seed__pick(r, NITEMS_W, 3) + 1;
    o->total = 0;
    for (int i = 0; i < o->nitems; i++) {
        size_t pi = i == 0 ? seed__popular(k, r) : seed__companion(k, r, o->items[0].product);
        for (int j = 0; j < i; j++) /* one line per product */
            if (o->items[j].product == pi)
                pi = (pi + 1) % k->p->nproducts;
        struct kf_seed_item *it = &o->items[i];
        it->product = pi;
        it->price = k->p->products[pi].price;
        it->qty = it->price < 200 ? (int)seed__range(r, 1, 3) : 1;
        o->total += it->price * it->qty;
    }
    o->total = round(o->total * 100) / 100;
}

static void seed__tracking(struct seed_rng *r, struct kf_seed_order *o)
{
    static const char *const CARRIERS[] = {"顺丰", "京东", "圆通"};
    static const int CARRIER_W[] = {40, 35, 25};
    int c = seed__pick(r, CARRIER_W, 3);
    o->carrier = CARRIERS[c];
    unsigned long long a = seed__next(r) % 1000000ULL, b = seed__next(r) % 10000000ULL;
    if (c == 0) /* SF + 12 digits */
        snprintf(o->tracking_no, sizeof o->tracking_no, "SF%06llu%06llu", a, b % 1000000ULL);
    else /* JD / YT + 13 digits */
        snprintf(o->tracking_no, sizeof o->tracking_no, "%s%06llu%07llu", c == 1 ? "JD" : "YT", a,
                 b);
}

/* Times first, then the status they imply at now. */
static void seed__lifecycle(struct seed_rng *r, long long now, struct kf_seed_order *o)
{
    static const char *const METHODS[] = {"alipay", "wechat_pay", "card"};
    static const int METHOD_W[] = {45, 40, 15};
    long long paid = o->created_at + seed__range(r, 1, 30) * SEED_MIN_MS;
    long long shipped = paid + seed__range(r, 4, 36) * SEED_HOUR_MS;
    long long delivered = shipped + seed__range(r, 24, 96) * SEED_HOUR_MS;
    int unpaid = now - o->created_at < SEED_DAY_MS && seed__unit(r) < 0.25;
    int cancelled = seed__unit(r) < 0.04;
    o->status = "pending";
    o->updated_at = o->created_at;
    if (!unpaid && paid <= now) {
        o->status = "paid";
        o->paid_at = o->updated_at = paid;
        o->pay_method = METHODS[seed__pick(r, METHOD_W, 3)];
        o->pay_status = "paid";
    }
    if (cancelled) {
        o->status = "cancelled";
        o->updated_at = o->paid_at ? o->paid_at + seed__range(r, 5, 120) * SEED_MIN_MS
                                   : o->created_at + seed__range(r, 5, 600) * SEED_MIN_MS;
        if (o->updated_at > now)
            o->updated_at = now;
        if (o->paid_at) {
            o->pay_status = "refunded";
            o->refund_status = "completed";
            o->refund_reason = "订单取消";
            o->refund_amount = o->total;
            o->refund_at = o->updated_at;
            o->refund_done_at =
                o->updated_at + SEED_DAY_MS <= now ? o->updated_at + SEED_DAY_MS : 0;
            if (o->refund_done_at == 0)
                o->refund_status = "processing";
        }
        return;
    }
    if (o->paid_at && shipped <= now) {
        seed__tracking(r, o);
        o->status = "shipped";
        o->shipped_at = o->updated_at = shipped;
        o->ship_status = "in_transit";
        o->eta = shipped + 72 * SEED_HOUR_MS;
    }
    if (o->shipped_at && delivered <= now) {
        o->status = "delivered";
        o->delivered_at = o->updated_at = delivered;
        o->ship_status = "delivered";
    }
}

/* After-sales of delivered orders: refunds ~5%, returns ~3%. */
static void seed__after_sales(struct seed_rng *r, long long now, struct kf_seed_order *o)
{
    static const char *const REASONS[] = {"商品质量问题", "不想要了", "尺寸不合适", "与描述不符",
                                          "收到商品破损"};
    if (o->delivered_at == 0)
        return;
    double x = seed__unit(r);
    if (x < 0.05) {
        o->refund_reason = REASONS[seed__range(r, 0, NELEM(REASONS) - 1)];
        o->refund_amount = o->items[0].price * o->items[0].qty;
        o->refund_at = o->delivered_at + seed__range(r, 1, 240) * SEED_HOUR_MS;
        if (o->refund_at > now)
            o->refund_at = now;
        long long done = o->refund_at + seed__range(r, 1, 5) * SEED_DAY_MS;
        int complete = done <= now && seed__unit(r) < 0.7;
        o->refund_status = complete ? "completed" : "processing";
        o->refund_done_at = complete ? done : 0;
    } else if (x < 0.08) {
        o->return_kind = seed__unit(r) < 0.75 ? "return" : "exchange";
        o->return_reason = REASONS[seed__range(r, 0, NELEM(REASONS) - 1)];
        o->return_at = o->delivered_at + seed__range(r, 1, 168) * SEED_HOUR_MS;
        if (o->return_at > now)
            o->return_at = now;
        long long age = now - o->return_at;
        o->return_status = age > 14 * SEED_DAY_MS  ? "completed"
                           : age > 3 * SEED_DAY_MS ? "approved"
                                                   : "requested";
    }
}

/* yyyymmdd of a time in China (UTC+8). */
static void seed__ymd(long long ms, char out[9])
{
    time_t t = (time_t)(ms / 1000 + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 9, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100);
}

static void seed__address(struct seed_rng *r, const char *city, char *out, size_t cap)
{
    snprintf(out, cap, "%s市%s****", city, DISTRICTS[seed__range(r, 0, NELEM(DISTRICTS) - 1)]);
}

static int seed__orders(struct seed_catalog *k, struct seed_rng *r, struct kf_seed_data *d,
                        struct kf_err *err)
{
    long long now = k->p->now_ms;
    int daily[368] = {0}; /* next sequence per calendar day of the year before now */
    size_t n1 = d->ncustomers > 1 ? d->ncustomers - 1 : 1;
    for (size_t i = 0; i < d->norders; i++) {
        struct kf_seed_order *o = &d->orders[i];
        long long age = (long long)(seed__unit(r) * 365.0 * (double)SEED_DAY_MS);
        o->created_at = now - age;
        /* some customers buy much more; customer 1 keeps only its fixed orders */
        size_t c = (size_t)(pow(seed__unit(r), 1.6) * (double)n1);
        o->customer = d->ncustomers > 1 ? 1 + c % n1 : 0;
        seed__items(k, r, o);
        seed__lifecycle(r, now, o);
        seed__after_sales(r, now, o);
        seed__address(r, d->customers[o->customer].city, o->address, sizeof o->address);
        /* the sequence is per calendar day in China, the date in the number */
        int day = (int)((o->created_at + 8 * SEED_HOUR_MS) / SEED_DAY_MS -
                        (now - 365 * SEED_DAY_MS + 8 * SEED_HOUR_MS) / SEED_DAY_MS);
        if (daily[day] >= 900)
            return kf_errorf(err, KF_EINVAL, "seed: more than 900 orders on one day");
        char ymd[9];
        seed__ymd(o->created_at, ymd);
        snprintf(o->order_no, sizeof o->order_no, "DS%s%03d", ymd, 100 + daily[day]++);
    }
    return KF_OK;
}

/* ---- the fixed orders of demo customer 1 ---------------------------------- */

static size_t seed__first_of(const struct kf_seed_params *p, const char *cat, size_t fallback)
{
    long i = seed__in_category(p, cat, 0);
    return i >= 0 ? (size_t)i : fallback % p->nproducts;
}

static void seed__fixed_one(const struct kf_seed_params *p, struct kf_seed_order *o, int n,
                            const char *status, size_t product, size_t product2)
{
    memset(o, 0, sizeof *o);
    snprintf(o->order_no, sizeof o->order_no, "DS20261101%03d", n);
    o->customer = 0;
    o->status = status;
    o->items[0] =
        (struct kf_seed_item){.product = product, .qty = 1, .price = p->products[product].price};
    o->nitems = 1;
    if (product2 != product) {
        o->items[1] = (struct kf_seed_item){
            .product = product2, .qty = 1, .price = p->products[product2].price};
        o->nitems = 2;
    }
    for (int i = 0; i < o->nitems; i++)
        o->total += o->items[i].price * o->items[i].qty;
    snprintf(o->address, sizeof o->address, "上海市浦东新区****");
}

static void seed__fixed_ship(struct kf_seed_order *o, long long created, long long shipped,
                             long long delivered, const char *carrier, const char *tracking)
{
    o->created_at = created;
    o->paid_at = created + 10 * SEED_MIN_MS;
    o->pay_method = "alipay";
    o->pay_status = "paid";
    o->shipped_at = shipped;
    o->delivered_at = delivered;
    o->carrier = carrier;
    snprintf(o->tracking_no, sizeof o->tracking_no, "%s", tracking);
    o->ship_status = delivered ? "delivered" : "in_transit";
    o->eta = shipped + 72 * SEED_HOUR_MS;
    o->updated_at = delivered ? delivered : shipped;
}

static void seed__fixed(const struct kf_seed_params *p, struct kf_seed_order *o)
{
    long long now = p->now_ms, D = SEED_DAY_MS;
    size_t phone = seed__first_of(p, "phones", 0), cases = seed__first_of(p, "phone-cases", 1);
    size_t ear = seed__first_of(p, "earphones", 2), laptop = seed__first_of(p, "laptops", 3);
    size_t charger = seed__first_of(p, "chargers", 4), tablet = seed__first_of(p, "tablets", 5);
    seed__fixed_one(p, &o[0], 1, "shipped", phone, cases);
    seed__fixed_ship(&o[0], now - 3 * D, now - 2 * D, 0, "顺丰", "SF100000000001");
    seed__fixed_one(p, &o[1], 2, "delivered", ear, ear);
    seed__fixed_ship(&o[1], now - 9 * D, now - 7 * D, now - 5 * D, "京东", "JD1000000000002");
    seed__fixed_one(p, &o[2], 3, "delivered", laptop, laptop);
    seed__fixed_ship(&o[2], now - 65 * D, now - 63 * D, now - 60 * D, "圆通", "YT1000000000003");
    seed__fixed_one(p, &o[3], 4, "paid", charger, charger);
    o[3].created_at = now - 60 * SEED_MIN_MS;
    o[3].paid_at = o[3].updated_at = now - 50 * SEED_MIN_MS;
    o[3].pay_method = "wechat_pay";
    o[3].pay_status = "paid";
    seed__fixed_one(p, &o[4], 5, "pending", tablet, tablet);
    o[4].created_at = o[4].updated_at = now - 20 * SEED_MIN_MS;
}

/* ---- entry points ----------------------------------------------------------- */

void kf_seed__release(struct kf_seed_data *d)
{
    kf_free(d->stock);
    kf_free(d->customers);
    kf_free(d->orders);
    memset(d, 0, sizeof *d);
}

int kf_seed__generate(const struct kf_seed_params *p, struct kf_seed_data *d, struct kf_err *err)
{
    memset(d, 0, sizeof *d);
    d->params = p;
    d->ncustomers = (size_t)p->customers;
    d->norders = (size_t)p->orders; /* the fixed ones follow */
    d->stock = kf_calloc(p->nproducts, sizeof *d->stock);
    d->customers = kf_calloc(d->ncustomers, sizeof *d->customers);
    d->orders = kf_calloc(d->norders + SEED_FIXED, sizeof *d->orders);
    struct seed_catalog k = {0};
    struct seed_rng r = {p->seed};
    if (d->stock == NULL || d->customers == NULL || d->orders == NULL ||
        seed__catalog_init(&k, p, &r) != KF_OK) {
        kf_seed__release(d);
        return kf_errorf(err, KF_ENOMEM, "seed: out of memory");
    }
    for (size_t i = 0; i < p->nproducts; i++)
        d->stock[i] = seed__unit(&r) < 0.08 ? 0 : (int)seed__range(&r, 5, 500);
    for (size_t i = 0; i < d->ncustomers; i++)
        seed__customer(&r, i, p->now_ms, &d->customers[i]);
    int rc = seed__orders(&k, &r, d, err);
    kf_free(k.cum);
    if (rc != KF_OK) {
        kf_seed__release(d);
        return rc;
    }
    seed__fixed(p, &d->orders[d->norders]);
    d->norders += SEED_FIXED;
    return KF_OK;
}
