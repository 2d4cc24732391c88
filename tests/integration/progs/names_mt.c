/* The name service with several threads per rank (FERRY_THREAD_MULTIPLE):
 * a thread waiting in a lookup does not stop the rank's other threads.
 *
 * Thread A looks up a name of its own rank with a long timeout. Meanwhile
 * thread C ping-pongs with the partner rank, and only then thread B
 * registers the name A waits for. A must get it within seconds, long
 * before its timeout: had A's wait held the rank's lock, C could not
 * progress and B could not register until A's lookup ran out. Also runs
 * alone (a job of one keeps its names itself). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define TEST_NAME "names_mt"
#include "check.h"
#include "ferry.h"

#define ROUNDS     200
#define TIMEOUT_MS 20000

static int me, n;
static ferry_port_t pp_mine, pp_peer, wanted;
static char name[64];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pingpong_done;

static void *lookup_thread(void *arg)
{
    (void)arg;
    ferry_port_t got;
    double t0 = now();
    int rc = ferry_name_lookup(name, &got, TIMEOUT_MS);
    double dt = now() - t0;
    pthread_mutex_lock(&mu);
    CHECK(rc == FERRY_OK && ferry_port_equal(got, wanted), "lookup of %s: %s after %.2f s", name,
          ferry_strerror(rc), dt);
    CHECK(dt < 10, "the lookup took %.2f s", dt);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *pingpong_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS && n > 1; i++) {
        int v = i, got = -1;
        ferry_status_t st;
        int rc;
        if (me % 2 == 0) {
            rc = ferry_send(pp_peer, &v, sizeof v);
            if (!rc) rc = ferry_recv(pp_mine, &got, sizeof got, &st, TIMEOUT_MS);
        } else {
            rc = ferry_recv(pp_mine, &got, sizeof got, &st, TIMEOUT_MS);
            if (!rc) rc = ferry_send(pp_peer, &got, sizeof got);
        }
        if (rc || (me % 2 == 0 && got != i)) {
            pthread_mutex_lock(&mu);
            CHECK(0, "ping-pong round %d: %s, got %d", i, ferry_strerror(rc), got);
            pthread_mutex_unlock(&mu);
            break;
        }
    }
    pthread_mutex_lock(&mu);
    pingpong_done = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *register_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!pingpong_done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    int rc = ferry_name_register(name, wanted);
    pthread_mutex_lock(&mu);
    CHECK(rc == FERRY_OK, "register %s: %s", name, ferry_strerror(rc));
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    if (ferry_init_thread(&argc, &argv, FERRY_THREAD_MULTIPLE)) return 1;
    me = ferry_rank();
    n = ferry_size();
    snprintf(name, sizeof name, "late.%d", me);
    CHECK(ferry_port_alloc(&wanted, 0) == FERRY_OK, "alloc");
    CHECK(ferry_port_alloc(&pp_mine, 0) == FERRY_OK, "alloc");
    int partner = me ^ 1;
    if (n > 1 && partner < n) {
        char s[64];
        snprintf(s, sizeof s, "pp.%d", me);
        CHECK(ferry_name_register(s, pp_mine) == FERRY_OK, "register %s", s);
        snprintf(s, sizeof s, "pp.%d", partner);
        CHECK(ferry_name_lookup(s, &pp_peer, TIMEOUT_MS) == FERRY_OK, "lookup %s", s);
    } else {
        n = 1; /* no partner: no ping-pong */
    }
    pthread_t a, b, c;
    pthread_create(&a, NULL, lookup_thread, NULL);
    struct timespec settle = {0, 100 * 1000000L}; /* A is waiting by now */
    nanosleep(&settle, NULL);
    pthread_create(&c, NULL, pingpong_thread, NULL);
    pthread_create(&b, NULL, register_thread, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_join(c, NULL);
    int rc = ferry_finalize();
    if (!failures && !rc) printf("names_mt: rank %d ok\n", me);
    return failures || rc ? 1 : 0;
}
