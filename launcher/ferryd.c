/* ferryd, the node agent: started on a host by ferryrun (or by an agent
 * above it) through ssh or --launcher-exec as
 *
 *   ferryd --connect ADDR[,ADDR...] --port P --index T
 *
 * with the job's secret as the first line of its standard input, which
 * then stays open for as long as its parent lives. It connects back,
 * introduces itself with the secret, receives the job and runs its node
 * (agent.c). Not meant to be run by hand. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/agent.h"
#include "launcher/link.h"
#include "launcher/loop.h"
#include "launcher/net.h"

#define SECRET_WAIT_MS  30000
#define CONNECT_EACH_MS 3000
#define JOB_WAIT_MS     30000

static int usage(void)
{
    fprintf(stderr, "usage: ferryd --connect ADDR[,ADDR...] --port P --index T (the job's "
                    "secret on stdin); started by ferryrun, not by hand\n");
    return 2;
}

static int read_secret(char out[WIRE_SECRET + 1])
{
    size_t len = 0;
    int64_t end = loop_now_ms() + SECRET_WAIT_MS;
    while (len < WIRE_SECRET + 1) {
        struct pollfd p = {.fd = 0, .events = POLLIN};
        int64_t left = end - loop_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) return -1;
        /* One byte at a time: nothing after the line may be consumed. */
        ssize_t n = read(0, out + len, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        len++;
        if (out[len - 1] == '\n') break;
    }
    if (len != WIRE_SECRET + 1 || out[WIRE_SECRET] != '\n') return -1;
    out[WIRE_SECRET] = '\0';
    return 0;
}

struct job_wait {
    struct jobspec *spec;
    int got, bad;
};

static void job_frame(void *ctx, uint16_t type, const uint8_t *body, size_t len)
{
    struct job_wait *w = ctx;
    if (w->got || w->bad) return;
    if (type != W_JOB || jobspec_decode(w->spec, body, len) != 0)
        w->bad = 1;
    else
        w->got = 1;
}

int main(int argc, char **argv)
{
    const char *addrs = NULL;
    long port = -1, index = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        char *end;
        if (strcmp(argv[i], "--connect") == 0)
            addrs = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[i + 1], &end, 10);
        else if (strcmp(argv[i], "--index") == 0)
            index = strtol(argv[i + 1], &end, 10);
        else
            return usage();
    }
    if (argc % 2 != 1 || !addrs || port < 1 || port > 65535 || index < 1 || index > 1 << 20)
        return usage();

    char secret[WIRE_SECRET + 1];
    if (read_secret(secret) != 0) {
        fprintf(stderr, "ferryd: no job secret on standard input\n");
        return 1;
    }
    char err[1024];
    int fd = net_connect_any(addrs, (int)port, CONNECT_EACH_MS, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "ferryd: cannot reach ferryrun: %s\n", err);
        return 1;
    }
    struct link up;
    link_init(&up, fd, loop_now_ms());
    up.max_frame = WIRE_FRAME_MAX;
    struct wbuf b;
    wbuf_start(&b, W_HELLO);
    wbuf_u32(&b, WIRE_VERSION);
    wbuf_u32(&b, (uint32_t)index);
    wbuf_bytes(&b, secret, WIRE_SECRET);
    wbuf_finish(&b);
    link_send(&up, &b, loop_now_ms());
    wbuf_free(&b);

    struct jobspec spec;
    struct job_wait w = {.spec = &spec};
    int64_t end = loop_now_ms() + JOB_WAIT_MS;
    while (!w.got && !w.bad && up.fd >= 0 && loop_now_ms() < end) {
        struct pollfd p = {.fd = up.fd, .events = POLLIN | (link_backlog(&up) ? POLLOUT : 0)};
        poll(&p, 1, 1000);
        if (p.revents & POLLOUT) link_flush(&up, loop_now_ms());
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) link_read(&up, job_frame, &w, loop_now_ms());
    }
    if (!w.got) {
        fprintf(stderr, "ferryd: no job from ferryrun: %s\n",
                w.bad       ? "a malformed job description"
                : up.fd < 0 ? up.why
                            : "timed out");
        memset(secret, 0, sizeof secret);
        link_free(&up);
        return 1;
    }
    if ((uint32_t)index >= (uint32_t)spec.ntree) {
        fprintf(stderr, "ferryd: index %ld is not in the job's launch tree\n", index);
        jobspec_free(&spec);
        link_free(&up);
        return 1;
    }
    int status = 0;
    if (chdir(spec.cwd) != 0) {
        /* Said through the link, so ferryrun names this host. */
        struct wbuf e;
        char text[4200];
        snprintf(text, sizeof text, "cannot enter the directory %s: %s", spec.cwd, strerror(errno));
        wbuf_start(&e, W_ERROR);
        wbuf_str(&e, spec.map.name[spec.tree_node[index]]);
        wbuf_str(&e, text);
        wbuf_finish(&e);
        link_send(&up, &e, loop_now_ms());
        wbuf_free(&e);
        for (int i = 0; i < 20 && up.fd >= 0 && link_backlog(&up); i++) {
            struct pollfd p = {.fd = up.fd, .events = POLLOUT};
            poll(&p, 1, 100);
            link_flush(&up, loop_now_ms());
        }
        status = 1;
    } else {
        status = agent_run(&spec, (int)index, &up, secret);
    }
    memset(secret, 0, sizeof secret);
    jobspec_free(&spec);
    link_free(&up);
    return status;
}
