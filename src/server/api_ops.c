/* api_ops.c — placeholder until its owner lands the routes (issue 7). */
#include "http_int.h"

int api_ops_route(struct http_req *r, struct http_resp *out)
{
    (void)r;
    (void)out;
    return HTTP_DECLINED;
}
