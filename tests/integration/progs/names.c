/* The name service through the launcher: a lookup waits for a name that is
 * registered later, names are unique, lookups time out, only the owner
 * unregisters. Any number of ranks >= 2; also runs alone. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_NAME "names"
#include "check.h"
#include "ferry.h"

int main(int argc, char **argv)
{
    if (ferry_init(&argc, &argv)) return 1;
    int me = ferry_rank(), n = ferry_size();
    ferry_port_t p, got;
    CHECK(ferry_name_register("a b", ferry_port_of_rank(me)) == FERRY_ERR_INVALID, "bad name");
    CHECK(ferry_name_register("", ferry_port_of_rank(me)) == FERRY_ERR_INVALID, "empty name");
    CHECK(ferry_name_lookup("nobody", &got, 0) == FERRY_ERR_NOT_FOUND, "poll unknown");
    double t0 = now();
    int rc = ferry_name_lookup("nobody", &got, 200);
    double dt = now() - t0;
    CHECK(rc == FERRY_ERR_TIMEOUT && dt > 0.18 && dt < 2, "timed lookup: %s after %.3f s",
          ferry_strerror(rc), dt);
    if (n == 1) {
        CHECK(ferry_port_alloc(&p, 0) == FERRY_OK, "alloc");
        CHECK(ferry_name_register("solo", p) == FERRY_OK, "register");
        CHECK(ferry_name_register("solo", p) == FERRY_ERR_NAME_IN_USE, "duplicate");
        CHECK(ferry_name_lookup("solo", &got, 0) == FERRY_OK && ferry_port_equal(got, p), "lookup");
        CHECK(ferry_name_unregister("solo") == FERRY_OK, "unregister");
    } else if (me == 0) {
        CHECK(ferry_port_alloc(&p, 0) == FERRY_OK, "alloc");
        /* Registered after the others started looking. */
        usleep(300000);
        CHECK(ferry_name_register("service", p) == FERRY_OK, "register");
        CHECK(ferry_name_register("service", ferry_port_of_rank(0)) == FERRY_ERR_NAME_IN_USE,
              "duplicate");
        for (int i = 1; i < n; i++) {
            int v;
            ferry_status_t st;
            rc = ferry_recv(p, &v, sizeof v, &st, 10000);
            CHECK(rc == FERRY_OK && v == st.source, "message through the name: %s",
                  ferry_strerror(rc));
        }
        /* Everyone has used it: now others try to unregister it, then I do. */
        int v = 0;
        for (int i = 1; i < n; i++) ferry_send(ferry_port_of_rank(i), &v, sizeof v);
        for (int i = 1; i < n; i++) {
            ferry_status_t st;
            ferry_recv(ferry_port_of_rank(0), &v, sizeof v, &st, 10000);
        }
        CHECK(ferry_name_unregister("service") == FERRY_OK, "owner unregisters");
        CHECK(ferry_name_lookup("service", &got, 0) == FERRY_ERR_NOT_FOUND, "gone");
    } else {
        t0 = now();
        rc = ferry_name_lookup("service", &got, 10000);
        CHECK(rc == FERRY_OK && got.rank == 0, "lookup: %s", ferry_strerror(rc));
        CHECK(now() - t0 > 0.1, "lookup returned before the name was registered");
        CHECK(ferry_send(got, &me, sizeof me) == FERRY_OK, "send");
        int v;
        ferry_status_t st;
        ferry_recv(ferry_port_of_rank(me), &v, sizeof v, &st, 10000);
        CHECK(ferry_name_unregister("service") == FERRY_ERR_NOT_FOUND, "not the owner");
        ferry_send(ferry_port_of_rank(0), &v, sizeof v);
    }
    rc = ferry_finalize();
    if (!failures && !rc) printf("names: rank %d ok\n", me);
    return failures || rc ? 1 : 0;
}
