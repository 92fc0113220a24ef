/*
 * fake_orders.h — a small fake "company order service" for tests of the http
 * connector (unit/biz/connector.c) and of the whole server (integration).
 *
 * It is a libmicrohttpd daemon on 127.0.0.1 (a free port), one thread per
 * connection, serving an in-memory set of orders in a JSON shape that is
 * deliberately *not* kefu's (docs/examples/orders-http.yaml maps it):
 *
 *   GET  /api/orders/{id}          200 {"data":{"id","customer":{"id","name"},
 *                                        "state","created","amount":{"value",
 *                                        "currency"},"lines":[{"product_code",
 *                                        "title","quantity","unit_price"}],
 *                                        "shipping":{"carrier_name","tracking",
 *                                        "state","eta"} or null,
 *                                        "shipping_address","delivered"?}}
 *                                  404 {"error":{"code":"NOT_FOUND","message"}}
 *   GET  /api/orders?customer=ID   200 {"data":{"orders":[..],"count":N}}
 *                                  (ID compared as text: 7 or web-user-7)
 *   POST /api/orders/{id}/update   body {"state"?,"shipping_address"?};
 *                                  200 {"data":order}; 409 when the order is
 *                                  past the state that allows it (cancel:
 *                                  only NEW or PAID; address: NEW or PAID);
 *                                  422 for an unknown state
 *   POST /api/orders/{id}/cancel   same as update with state CANCELLED
 *   POST /api/orders/{id}/returns  body {"type":"RETURN"|"EXCHANGE","reason",
 *                                  "lines"?:[sku]}; 201 {"data":{"rma","type",
 *                                  "state":"REQUESTED","created"}}; 409 unless
 *                                  the order is DELIVERED
 *   anything else                  404
 *   states: NEW PAID SHIPPED DELIVERED CANCELLED
 *
 * Orders at start (and after fake_orders_reset); customer 7 owns the A orders:
 *   A1001 SHIPPED   2 x SKU-MUG "Mug" 99.5, amount 199.00 CNY, SF Express SF1234567890
 *   A1002 PAID      1 x SKU-TEE "T-shirt" 59, amount 59.00
 *   A1003 NEW       1 x SKU-CAP "Cap" 25, amount 25.00
 *   A1004 DELIVERED 3 x SKU-SOCK "Socks" 10, amount 30.00
 *   B2001 PAID      customer 8
 * and, named like the demo bot's order numbers (DS + 11 digits) so a chat
 * can mention them, with string customer ids and times relative to the
 * start (so the 30-day return window holds whenever the test runs):
 *   DS30000000001 SHIPPED   "web-user-7", 1 x SKU-LAMP "Desk lamp" 129, SF Express
 *                           SF3000000001, eta in 2 days
 *   DS30000000002 PAID      "web-user-7", 1 x SKU-BAG "Tote bag" 45 (cancellable)
 *   DS30000000003 DELIVERED "web-user-7", 1 x SKU-SHOE "Sneakers" 88, YTO YT3000000003,
 *                           "delivered" 5 days ago (returnable)
 *   DS30000000009 PAID      "web-user-8", 2 x SKU-PEN "Pen set" 33
 *
 * Control from the test (all thread-safe):
 *   fake_orders_start(auth)   start; auth non-NULL: every request must carry
 *                             exactly that "Authorization" value, else 401
 *   fake_orders_url(f)        "http://127.0.0.1:PORT/api" (no trailing '/')
 *   fake_orders_script(f, n, status, delay_ms)
 *                             the next n requests wait delay_ms, then answer
 *                             `status` with {"error":{"message":"scripted"}}
 *                             (status 0: wait, then answer normally)
 *   fake_orders_requests(f)   requests received so far
 *   fake_orders_posts(f)      of those, POSTs (updates, cancels, returns)
 *   fake_orders_last_auth(f, out, cap)  Authorization of the last request ("" none)
 *   fake_orders_reset(f)      orders back to the start, counters and script cleared
 *   fake_orders_stop(f)       stop and free (NULL is a no-op)
 *
 * Test code: aborts on setup failures instead of returning errors.
 */
#ifndef KEFU_TEST_FAKE_ORDERS_H
#define KEFU_TEST_FAKE_ORDERS_H

#include <stddef.h>

struct fake_orders;

struct fake_orders *fake_orders_start(const char *auth);
void fake_orders_stop(struct fake_orders *f);
const char *fake_orders_url(const struct fake_orders *f);
unsigned short fake_orders_port(const struct fake_orders *f);
void fake_orders_script(struct fake_orders *f, int n, int status, long delay_ms);
long fake_orders_requests(struct fake_orders *f);
long fake_orders_posts(struct fake_orders *f);
void fake_orders_last_auth(struct fake_orders *f, char *out, size_t cap);
void fake_orders_reset(struct fake_orders *f);

#endif
