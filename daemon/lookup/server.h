/* server.h: the socketmap connection engine (see server.c). */
#ifndef TLSPIN_SERVER_H
#define TLSPIN_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"

struct server;
struct store;

struct server_stats {
	uint64_t connections;	/* accepted */
	uint64_t refused;	/* over max_clients */
	uint64_t timeouts;	/* closed for idle or slow requests */
	uint64_t requests;
	uint64_t ok, notfound, temp, perm;
	uint64_t observed;	/* observe mode: OK we answered as NOTFOUND */
};

/* Told of each answered request with a valid key (pid: the peer's on a
 * Unix socket, else 0), and when all requests of a wakeup are answered. */
struct server_lookup_hook {
	void (*answered)(void *arg, pid_t pid, const char *key,
	    size_t keylen);
	void (*wakeup_done)(void *arg);
	void *arg;
};

struct server *server_new(sd_event *ev, const struct config *cfg);
int server_listen(struct server *srv, int activated, char *err, size_t errsz);
int server_run(struct server *srv);
int server_open_store(struct server *srv, char *err, size_t errsz);
void server_stats_save(struct server *srv);
void server_configure(struct server *srv, const struct config *cfg);
void server_free(struct server *srv);
void server_set_lookup_hook(struct server *srv,
    const struct server_lookup_hook *hook);
const struct server_stats *server_stats(struct server *srv);
unsigned server_clients(const struct server *srv);
int server_observe(const struct server *srv);
struct store *server_store(struct server *srv);
int server_bind(struct server *srv, const char *addr,
    char unlink_path[CONFIG_ADDR_MAX], char *err, size_t errsz);

#endif
