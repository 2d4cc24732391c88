/* Addresses for the launch tree: which of this machine's addresses a host
 * reaches us on, whether a host named in --host is this machine, and
 * connecting to the first address of a list that answers. IPv4. */
#ifndef FERRY_LAUNCHER_NET_H
#define FERRY_LAUNCHER_NET_H

#include <stddef.h>

/* Comma-separated addresses a host may reach this machine on, best first:
 * the source address of the route to host (when it resolves), then every
 * other up, non-loopback IPv4 address, then 127.0.0.1. */
int net_callback_addrs(const char *host, char *buf, size_t cap);
/* Whether host names this machine: "localhost", this host name, or an
 * address of one of its interfaces. */
int net_is_local(const char *host);
/* Listen on every IPv4 address, on a port the kernel picks. fd or -1. */
int net_listen(int *port);
/* Connect to port on the first of the comma-separated addresses that
 * answers within timeout_ms each. fd (blocking) or -1 with the reason. */
int net_connect_any(const char *addrs, int port, int timeout_ms, char *err, size_t errlen);
/* "a.b.c.d:port" of the peer of fd. */
void net_peer_name(int fd, char *buf, size_t cap);

#endif
