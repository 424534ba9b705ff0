/* server.h: the socketmap server (see server.c). */
#ifndef TLSPIN_SERVER_H
#define TLSPIN_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct server;

struct server_stats {
	uint64_t connections;	/* accepted */
	uint64_t refused;	/* over max_clients */
	uint64_t timeouts;	/* closed for idle or slow requests */
	uint64_t requests;
	uint64_t ok, notfound, temp, perm;
	uint64_t observed;	/* observe mode: OK we answered as NOTFOUND */
};

struct server *server_new(sd_event *ev, const struct config *cfg);
int server_listen(struct server *srv, int activated, char *err, size_t errsz);
int server_run(struct server *srv);
int server_open_store(struct server *srv);
void server_stats_save(struct server *srv);
void server_configure(struct server *srv, const struct config *cfg);
void server_free(struct server *srv);
void server_set_hint_fd(struct server *srv, int fd);
const struct server_stats *server_stats(const struct server *srv);
unsigned server_clients(const struct server *srv);
size_t server_answer(struct server *srv, const char *req, size_t len,
    char *out, size_t outsz, int *close_after);

#endif
