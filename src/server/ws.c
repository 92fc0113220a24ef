/* ws.c — placeholder until the WebSocket hub lands (issue 7). */
#include "http_int.h"

int api_ws_route(struct http_req *r, struct http_resp *out)
{
    (void)r;
    (void)out;
    return HTTP_DECLINED;
}

void http_publish(struct kf_server *srv, const char *topic, json_t *event)
{
    (void)srv;
    (void)topic;
    (void)event;
}
