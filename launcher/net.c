#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/net.h"

static int resolve(const char *host, struct in_addr *out)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return -1;
    *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

/* The local address the kernel would send from to reach dst. */
static int route_src(struct in_addr dst, struct in_addr *src)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = dst};
    socklen_t len = sizeof sa;
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa); /* no packet is sent */
    if (rc == 0) rc = getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    if (rc == 0) *src = sa.sin_addr;
    return rc;
}

static int append(char *buf, size_t cap, size_t *len, struct in_addr a)
{
    char s[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, s, sizeof s);
    /* Skip duplicates. */
    for (const char *p = buf; *len && p && *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == strlen(s) && strncmp(p, s, l) == 0) return 0;
        p = comma ? comma + 1 : NULL;
    }
    int w = snprintf(buf + *len, cap - *len, "%s%s", *len ? "," : "", s);
    if (w < 0 || (size_t)w >= cap - *len) return -1;
    *len += (size_t)w;
    return 0;
}

int net_callback_addrs(const char *host, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    struct in_addr dst, src;
    if (resolve(host, &dst) == 0 && route_src(dst, &src) == 0 && append(buf, cap, &len, src))
        return -1;
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
                (i->ifa_flags & IFF_LOOPBACK))
                continue;
            if (append(buf, cap, &len, ((struct sockaddr_in *)i->ifa_addr)->sin_addr)) break;
        }
        freeifaddrs(ifs);
    }
    struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
    return append(buf, cap, &len, lo);
}

int net_is_local(const char *host)
{
    if (strcmp(host, "localhost") == 0) return 1;
    char me[256] = "";
    if (gethostname(me, sizeof me - 1) == 0) {
        if (strcmp(host, me) == 0) return 1;
        const char *dot = strchr(me, '.');
        if (dot && strlen(host) == (size_t)(dot - me) && strncmp(host, me, (size_t)(dot - me)) == 0)
            return 1;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1) return 0; /* only literal addresses are compared */
    if ((ntohl(a.s_addr) >> 24) == 127) return 1;
    struct ifaddrs *ifs = NULL;
    int local = 0;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i && !local; i = i->ifa_next)
            local = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
                    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == a.s_addr;
        freeifaddrs(ifs);
    }
    return local;
}

int net_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static int try_connect(struct in_addr a, int port, int timeout_ms, int *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = a};
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        rc = poll(&p, 1, timeout_ms);
        if (rc == 0) {
            errno = ETIMEDOUT;
            rc = -1;
        } else if (rc > 0) {
            socklen_t len = sizeof *err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len);
            errno = *err;
            rc = *err ? -1 : 0;
        }
    }
    if (rc != 0) {
        *err = errno;
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int net_connect_any(const char *addrs, int port, int timeout_ms, char *err, size_t errlen)
{
    size_t len = 0;
    err[0] = '\0';
    for (const char *p = addrs; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        char s[INET_ADDRSTRLEN];
        struct in_addr a;
        int e = EINVAL;
        if (l < sizeof s) {
            memcpy(s, p, l);
            s[l] = '\0';
            if (inet_pton(AF_INET, s, &a) == 1) {
                int fd = try_connect(a, port, timeout_ms, &e);
                if (fd >= 0) return fd;
            }
        }
        int w = snprintf(err + len, errlen - len, "%s%.*s:%d: %s", len ? "; " : "", (int)l, p, port,
                         strerror(e));
        if (w > 0 && (size_t)w < errlen - len) len += (size_t)w;
        p = comma ? comma + 1 : NULL;
    }
    return -1;
}

void net_peer_name(int fd, char *buf, size_t cap)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    char s[INET_ADDRSTRLEN] = "?";
    if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET) {
        inet_ntop(AF_INET, &sa.sin_addr, s, sizeof s);
        snprintf(buf, cap, "%s:%d", s, ntohs(sa.sin_port));
    } else {
        snprintf(buf, cap, "?");
    }
}
