/* api_auth.c — placeholder: the lead is writing it (issue 7). */
#include "http_int.h"

int api_auth_route(struct http_req *r, struct http_resp *out)
{
    (void)r;
    (void)out;
    return HTTP_DECLINED;
}
