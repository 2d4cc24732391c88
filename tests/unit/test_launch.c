/* The multi-node launcher's pure parts: host lists and hostfiles (and their
 * errors), placing ranks on nodes, MPICH's process mapping, the launch
 * tree's shape, and the wire format between ferryrun and its agents, fed
 * truncated and garbage input. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/hosts.h"
#include "launcher/jobspec.h"
#include "launcher/wire.h"

static char err[512];

static void expect_err(int rc, const char *phrase)
{
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, phrase));
    if (!strstr(err, phrase)) fprintf(stderr, "\n  got '%s', expected '%s'\n", err, phrase);
}

static void test_host_list(void)
{
    struct hostlist l = {0};
    CU_ASSERT_EQUAL_FATAL(hosts_parse_list("h1:2,h2,node-3.example:16,h1", &l, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 3);
    CU_ASSERT_STRING_EQUAL(l.h[0].name, "h1");
    CU_ASSERT_EQUAL(l.h[0].slots, 3); /* named twice: 2 + 1 */
    CU_ASSERT_EQUAL(l.h[1].slots, 1);
    CU_ASSERT_STRING_EQUAL(l.h[2].name, "node-3.example");
    CU_ASSERT_EQUAL(l.h[2].slots, 16);
    hosts_free(&l);
    expect_err(hosts_parse_list("", &l, err, sizeof err), "empty host list");
    expect_err(hosts_parse_list("h1,,h2", &l, err, sizeof err), "bad host name ''");
    expect_err(hosts_parse_list("h1:0", &l, err, sizeof err), "bad slot count in 'h1:0'");
    expect_err(hosts_parse_list("h1:x", &l, err, sizeof err), "bad slot count");
    expect_err(hosts_parse_list("h1:", &l, err, sizeof err), "bad slot count");
    expect_err(hosts_parse_list("h1:99999999", &l, err, sizeof err), "bad slot count");
    expect_err(hosts_parse_list("h;1", &l, err, sizeof err), "bad host name 'h;1'");
    expect_err(hosts_parse_list("-oProxy=x", &l, err, sizeof err), "bad host name");
    hosts_free(&l);
}

static void test_hostfile(void)
{
    struct hostlist l = {0};
    const char *text = "# the cluster\n"
                       "\n"
                       "n1 slots=4\n"
                       "  n2   slots=2   # two\n"
                       "n3\n"
                       "n4:3 max_slots=8\n"
                       "\t\n";
    CU_ASSERT_EQUAL_FATAL(hosts_parse_text(text, "hf", &l, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_EQUAL(l.h[0].slots, 4);
    CU_ASSERT_EQUAL(l.h[1].slots, 2);
    CU_ASSERT_STRING_EQUAL(l.h[1].name, "n2");
    CU_ASSERT_EQUAL(l.h[2].slots, 1);
    CU_ASSERT_EQUAL(l.h[3].slots, 3);
    hosts_free(&l);
    expect_err(hosts_parse_text("n1 slots=4\nn2 slots=two\n", "hf", &l, err, sizeof err),
               "hf:2: unexpected 'slots=two'");
    expect_err(hosts_parse_text("n1\n\n\nn2 cpus=3\n", "hf", &l, err, sizeof err),
               "hf:4: unexpected 'cpus=3'");
    expect_err(hosts_parse_text("n1\nn$2\n", "hf", &l, err, sizeof err),
               "hf:2: bad host name 'n$2'");
    expect_err(hosts_parse_text("# nothing\n\n", "hf", &l, err, sizeof err), "hf: no hosts");
    expect_err(hosts_parse_text("n1 slots=0\n", "hf", &l, err, sizeof err), "hf:1:");
    hosts_free(&l);
    expect_err(hosts_parse_file("/nonexistent/hostfile", &l, err, sizeof err),
               "--hostfile /nonexistent/hostfile:");
}

static struct hostlist hosts(const char *spec)
{
    struct hostlist l = {0};
    hosts_parse_list(spec, &l, err, sizeof err);
    return l;
}

/* The nodes of ranks 0..np-1 as a string of digits. */
static void expect_map(const struct job_map *m, const char *nodes)
{
    char got[64] = "";
    for (int r = 0; r < m->np && r < 63; r++) got[r] = (char)('0' + m->node_of[r]);
    CU_ASSERT_STRING_EQUAL(got, nodes);
    if (strcmp(got, nodes)) fprintf(stderr, "\n  map %s, expected %s\n", got, nodes);
}

static void test_map(void)
{
    struct hostlist l = hosts("a:2,b:2,c:1");
    struct job_map m;
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 0, 0, MAP_BY_SLOT, 0, &m, err, sizeof err), 0);
    expect_map(&m, "00112");
    CU_ASSERT_EQUAL(m.nnodes, 3);
    CU_ASSERT_EQUAL(m.count[1], 2);
    CU_ASSERT_EQUAL(m.ranks[1][1], 3);
    char pm[256];
    CU_ASSERT_EQUAL(map_process_mapping(&m, pm, sizeof pm), 0);
    CU_ASSERT_STRING_EQUAL(pm, "(vector,(0,2,2),(2,1,1))");
    CU_ASSERT_EQUAL(map_process_mapping(&m, pm, 10), -1);
    map_free(&m);

    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 5, 0, MAP_BY_NODE, 0, &m, err, sizeof err), 0);
    expect_map(&m, "01201");
    CU_ASSERT_EQUAL(map_process_mapping(&m, pm, sizeof pm), 0);
    CU_ASSERT_STRING_EQUAL(pm, "(vector,(0,3,1),(0,2,1))");
    map_free(&m);

    /* Fewer ranks than slots: unused hosts are not nodes. */
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 2, 0, MAP_BY_SLOT, 0, &m, err, sizeof err), 0);
    expect_map(&m, "00");
    CU_ASSERT_EQUAL(m.nnodes, 1);
    map_free(&m);

    /* --ppn overrides slots. */
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 6, 2, MAP_BY_SLOT, 0, &m, err, sizeof err), 0);
    expect_map(&m, "001122");
    map_free(&m);
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 0, 1, MAP_BY_SLOT, 0, &m, err, sizeof err), 0);
    expect_map(&m, "012");
    map_free(&m);

    expect_err(map_ranks(&l, 6, 0, MAP_BY_SLOT, 0, &m, err, sizeof err),
               "6 ranks do not fit the 5 slots");
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 8, 0, MAP_BY_SLOT, 1, &m, err, sizeof err), 0);
    expect_map(&m, "00112001");
    map_free(&m);
    CU_ASSERT_EQUAL_FATAL(map_ranks(&l, 8, 0, MAP_BY_NODE, 1, &m, err, sizeof err), 0);
    expect_map(&m, "01201012");
    map_free(&m);
    hosts_free(&l);

    l = hosts("big:5000");
    expect_err(map_ranks(&l, 5000, 0, MAP_BY_SLOT, 0, &m, err, sizeof err), "at most 4096");
    hosts_free(&l);
}

static void test_tree(void)
{
    /* Fan-out 2: 0 -> 1,2; 1 -> 3,4; 2 -> 5,6; 3 -> 7. */
    CU_ASSERT_EQUAL(tree_parent(0, 2), -1);
    CU_ASSERT_EQUAL(tree_parent(2, 2), 0);
    CU_ASSERT_EQUAL(tree_parent(4, 2), 1);
    CU_ASSERT_EQUAL(tree_parent(7, 2), 3);
    CU_ASSERT_EQUAL(tree_route(0, 7, 2), 1);
    CU_ASSERT_EQUAL(tree_route(1, 7, 2), 3);
    CU_ASSERT_EQUAL(tree_route(3, 7, 2), 7);
    CU_ASSERT_EQUAL(tree_route(2, 7, 2), -1);
    CU_ASSERT_EQUAL(tree_route(5, 5, 2), -1);
    CU_ASSERT_EQUAL(tree_route(0, 3, 32), 3);
}

static void test_wire_reads(void)
{
    struct wbuf b;
    wbuf_start(&b, W_EXIT);
    wbuf_u32(&b, 7);
    wbuf_str(&b, "hello");
    wbuf_u8(&b, 9);
    CU_ASSERT_EQUAL_FATAL(wbuf_finish(&b), 0);
    uint16_t type;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(wire_header(b.p, &type, &len), 0);
    CU_ASSERT_EQUAL(type, W_EXIT);
    CU_ASSERT_EQUAL(len, b.len - WIRE_HDR);
    /* Every truncation reads as bad, never past the end. */
    for (size_t cut = 0; cut < len; cut++) {
        struct wread r;
        wread_init(&r, b.p + WIRE_HDR, cut);
        wread_u32(&r);
        char *s = wread_strdup(&r, 100);
        wread_u8(&r);
        CU_ASSERT_FALSE(wread_done(&r));
        free(s);
    }
    struct wread r;
    wread_init(&r, b.p + WIRE_HDR, len);
    CU_ASSERT_EQUAL(wread_u32(&r), 7);
    char *s = wread_strdup(&r, 100);
    CU_ASSERT_STRING_EQUAL(s, "hello");
    free(s);
    CU_ASSERT_EQUAL(wread_u8(&r), 9);
    CU_ASSERT_TRUE(wread_done(&r));
    wbuf_free(&b);

    /* A string longer than allowed, or holding a NUL, is refused. */
    wbuf_start(&b, W_OUTPUT);
    wbuf_bytes(&b, "ab\0cd", 5);
    wbuf_finish(&b);
    wread_init(&r, b.p + WIRE_HDR, b.len - WIRE_HDR);
    CU_ASSERT_PTR_NULL(wread_strdup(&r, 100));
    wread_init(&r, b.p + WIRE_HDR, b.len - WIRE_HDR);
    CU_ASSERT_PTR_NULL(wread_strdup(&r, 2));
    wbuf_free(&b);
    /* A length field pointing far past the body. */
    uint8_t huge[8] = {0xff, 0xff, 0xff, 0xf0, 'x', 'y', 'z', 0};
    size_t n;
    wread_init(&r, huge, sizeof huge);
    CU_ASSERT_PTR_NULL(wread_bytes(&r, &n));
    CU_ASSERT_TRUE(r.bad);
    /* Frame lengths out of bounds. */
    uint8_t h1[WIRE_HDR] = {0xff, 0xff, 0xff, 0xff, 0, 1}, h2[WIRE_HDR] = {0, 0, 0, 1, 0, 1};
    CU_ASSERT_EQUAL(wire_header(h1, &type, &len), -1);
    CU_ASSERT_EQUAL(wire_header(h2, &type, &len), -1);
}

static void make_spec(struct jobspec *j)
{
    memset(j, 0, sizeof *j);
    struct hostlist l = hosts("h0:2,h1:1,h2:2");
    map_ranks(&l, 0, 0, MAP_BY_SLOT, 0, &j->map, err, sizeof err);
    hosts_free(&l);
    j->kvsname = strdup("kvs_1_0");
    j->mapping = strdup("(vector,(0,1,2),(1,1,1),(2,1,2))");
    j->ntree = 3;
    j->fanout = 2;
    j->tree_node = malloc(3 * sizeof(int));
    j->tree_node[0] = 0, j->tree_node[1] = 1, j->tree_node[2] = 2;
    j->exec_argv = calloc(3, sizeof(char *));
    j->exec_argv[0] = strdup("ssh");
    j->exec_argv[1] = strdup("-x");
    j->ferryd = strdup("/opt/ferry/bin/ferryd");
    j->cwd = strdup("/home/u");
    j->path = strdup("/home/u/prog");
    j->argv = calloc(3, sizeof(char *));
    j->argv[0] = strdup("prog");
    j->argv[1] = strdup("--big");
    j->env = calloc(2, sizeof *j->env);
    j->env[0] = (struct spawn_env){strdup("OMP_NUM_THREADS"), strdup("4")};
    j->nenv = 1;
    j->verbose = 1;
    j->bind = JOB_BIND_NONE;
}

static void test_jobspec(void)
{
    struct jobspec a, b;
    make_spec(&a);
    struct wbuf w;
    jobspec_encode(&a, &w);
    CU_ASSERT_FALSE_FATAL(w.oom);
    const uint8_t *body = w.p + WIRE_HDR;
    size_t len = w.len - WIRE_HDR;
    CU_ASSERT_EQUAL_FATAL(jobspec_decode(&b, body, len), 0);
    CU_ASSERT_STRING_EQUAL(b.kvsname, "kvs_1_0");
    CU_ASSERT_EQUAL(b.map.np, 5);
    CU_ASSERT_EQUAL(b.map.nnodes, 3);
    CU_ASSERT_STRING_EQUAL(b.map.name[2], "h2");
    CU_ASSERT_EQUAL(b.map.count[2], 2);
    CU_ASSERT_EQUAL(b.map.ranks[2][1], 4);
    CU_ASSERT_EQUAL(b.tree_node[2], 2);
    CU_ASSERT_STRING_EQUAL(b.exec_argv[1], "-x");
    CU_ASSERT_PTR_NULL(b.exec_argv[2]);
    CU_ASSERT_STRING_EQUAL(b.argv[1], "--big");
    CU_ASSERT_STRING_EQUAL(b.env[0].value, "4");
    CU_ASSERT_EQUAL(b.bind, JOB_BIND_NONE);
    jobspec_free(&b);
    /* Every truncation, and extra bytes, are refused without a leak. */
    for (size_t cut = 0; cut < len; cut++) CU_ASSERT_EQUAL(jobspec_decode(&b, body, cut), -1);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, body, len);
    longer[len] = 0;
    CU_ASSERT_EQUAL(jobspec_decode(&b, longer, len + 1), -1);
    /* Flipped bytes never crash; most are refused. */
    for (size_t i = 0; i < len; i++) {
        memcpy(longer, body, len);
        longer[i] ^= 0xa5;
        if (jobspec_decode(&b, longer, len) == 0) jobspec_free(&b);
    }
    free(longer);
    wbuf_free(&w);
    /* A rank placed on a node that does not exist. */
    a.map.node_of[4] = 7;
    jobspec_encode(&a, &w);
    CU_ASSERT_EQUAL(jobspec_decode(&b, w.p + WIRE_HDR, w.len - WIRE_HDR), -1);
    wbuf_free(&w);
    a.map.node_of[4] = 2;
    jobspec_free(&a);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("launch", NULL, NULL);
    CU_add_test(s, "host lists", test_host_list);
    CU_add_test(s, "hostfiles", test_hostfile);
    CU_add_test(s, "placing ranks", test_map);
    CU_add_test(s, "launch tree", test_tree);
    CU_add_test(s, "wire reads", test_wire_reads);
    CU_add_test(s, "job description", test_jobspec);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
