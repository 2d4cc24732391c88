/* Receives into derived datatypes, which land in the receiver's own
 * regions (memcpy from an eager frame, or the regions as the local side of
 * the pull) instead of a packed copy: vector, indexed and struct receive
 * types, each below the eager limit, just above it and at 1 MiB, from a
 * contiguous sender and from a non-contiguous one whose regions do not line
 * up with the receiver's; every byte checked against the hand-computed
 * layout, the bytes between regions untouched. Also a short message, a
 * truncated one, a receive from this rank itself (a transport that pulls
 * into one buffer only) and every receive call (Recv, Irecv, a persistent
 * receive, Sendrecv, MPI_ANY_SOURCE). With --pipe-receiver, rank 1 copies
 * through the shared buffers instead of reading the sender's memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtest.h"

/* A receive layout by hand: nreg regions (byte offset, length) in the
 * order the type maps them, in a buffer of span bytes. */
struct layout {
    const char *name;
    MPI_Datatype type;
    int count;
    size_t span, total;
    int nreg;
    size_t off[4096], len[4096];
};

static void add(struct layout *l, size_t off, size_t len)
{
    CHECK(l->nreg < 4096);
    l->off[l->nreg] = off;
    l->len[l->nreg++] = len;
    l->total += len;
    if (off + len > l->span) l->span = off + len;
}

/* rows blocks of bl doubles, every stride doubles. */
static void mk_vector(struct layout *l, int rows, int bl, int stride)
{
    memset(l, 0, sizeof *l);
    l->name = "vector";
    CHECK_OK(MPI_Type_vector(rows, bl, stride, MPI_DOUBLE, &l->type));
    l->count = 1;
    for (int r = 0; r < rows; r++) add(l, (size_t)r * stride * 8, (size_t)bl * 8);
}

/* n blocks of growing length (ints) and gaps, two elements of the type. */
static void mk_indexed(struct layout *l, int n, int base)
{
    int blens[64], disps[64], at = 0;
    CHECK(n <= 64);
    memset(l, 0, sizeof *l);
    l->name = "indexed";
    for (int i = 0; i < n; i++) {
        blens[i] = base + 13 * i;
        disps[i] = at;
        at += blens[i] + 7 * i + 3;
    }
    CHECK_OK(MPI_Type_indexed(n, blens, disps, MPI_INT, &l->type));
    l->count = 2;
    size_t ext = (size_t)(disps[n - 1] + blens[n - 1]) * 4;
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < n; i++) add(l, e * ext + (size_t)disps[i] * 4, (size_t)blens[i] * 4);
}

/* count elements of {int a[ni]; a hole of 24 bytes; double b[nd]}, with
 * 40 more bytes after each element (resized). */
static void mk_struct(struct layout *l, int count, int ni, int nd)
{
    memset(l, 0, sizeof *l);
    l->name = "struct";
    int blens[2] = {ni, nd};
    size_t boff = ((size_t)ni * 4 + 24 + 7) / 8 * 8;
    MPI_Aint disps[2] = {0, (MPI_Aint)boff};
    MPI_Datatype types[2] = {MPI_INT, MPI_DOUBLE}, s;
    CHECK_OK(MPI_Type_create_struct(2, blens, disps, types, &s));
    size_t ext = boff + (size_t)nd * 8 + 40;
    CHECK_OK(MPI_Type_create_resized(s, 0, (MPI_Aint)ext, &l->type));
    CHECK_OK(MPI_Type_free(&s));
    l->count = count;
    for (int e = 0; e < count; e++) {
        add(l, e * ext, (size_t)ni * 4);
        add(l, e * ext + boff, (size_t)nd * 8);
    }
}

static unsigned char val(size_t i)
{
    return (unsigned char)(i % 251 + 1); /* never 0, the untouched bytes */
}

/* The receive buffer after n message bytes landed: byte i of the stream
 * at its region, zero everywhere else. */
static void check_landed(const struct layout *l, const unsigned char *buf, size_t n)
{
    unsigned char *want = calloc(l->span, 1);
    CHECK(want);
    size_t s = 0;
    for (int r = 0; r < l->nreg && s < n; r++)
        for (size_t k = 0; k < l->len[r] && s < n; k++) want[l->off[r] + k] = val(s++);
    for (size_t i = 0; i < l->span; i++) {
        if (buf[i] != want[i]) {
            fprintf(stderr, "%s: byte %zu of %zu is %u, expected %u (%zu bytes sent)\n", l->name, i,
                    l->span, buf[i], want[i], n);
            CHECK(buf[i] == want[i]);
        }
    }
    free(want);
}

/* A sender's type for n bytes in blocks of 1000 bytes every 1500, so its
 * regions never line up with the receiver's; *span: its buffer's bytes. */
static MPI_Datatype sender_type(size_t n, size_t *span)
{
    int nb = (int)((n + 999) / 1000);
    int *blens = malloc((size_t)nb * sizeof *blens);
    MPI_Aint *disps = malloc((size_t)nb * sizeof *disps);
    CHECK(blens && disps);
    for (int i = 0; i < nb; i++) {
        blens[i] = i == nb - 1 ? (int)(n - (size_t)i * 1000) : 1000;
        disps[i] = (MPI_Aint)i * 1500;
    }
    MPI_Datatype t;
    CHECK_OK(MPI_Type_create_hindexed(nb, blens, disps, MPI_BYTE, &t));
    CHECK_OK(MPI_Type_commit(&t));
    *span = (size_t)(nb - 1) * 1500 + (size_t)blens[nb - 1];
    free(blens);
    free(disps);
    return t;
}

/* Rank 0 sends n stream bytes, contiguous or not. */
static void send_stream(size_t n, int scattered, int tag)
{
    if (!scattered) {
        unsigned char *b = malloc(n ? n : 1);
        CHECK(b);
        for (size_t i = 0; i < n; i++) b[i] = val(i);
        CHECK_OK(MPI_Send(b, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD));
        free(b);
        return;
    }
    size_t span;
    MPI_Datatype t = sender_type(n, &span);
    unsigned char *b = malloc(span);
    CHECK(b);
    for (size_t i = 0, s = 0; i < span; i++) b[i] = (i % 1500) < 1000 ? val(s++) : 0xee;
    CHECK_OK(MPI_Send(b, 1, t, 1, tag, MPI_COMM_WORLD));
    CHECK_OK(MPI_Type_free(&t));
    free(b);
}

enum how { BY_RECV, BY_IRECV, BY_PERSISTENT, BY_SENDRECV, BY_ANY, HOW_N };

/* Rank 1 receives into l by one of the calls; the status says n bytes. */
static void recv_layout(const struct layout *l, enum how how, int tag, size_t n)
{
    unsigned char *buf = calloc(l->span, 1);
    CHECK(buf);
    MPI_Status st;
    MPI_Request rq;
    switch (how) {
    case BY_RECV:
        CHECK_OK(MPI_Recv(buf, l->count, l->type, 0, tag, MPI_COMM_WORLD, &st));
        break;
    case BY_IRECV:
        CHECK_OK(MPI_Irecv(buf, l->count, l->type, 0, tag, MPI_COMM_WORLD, &rq));
        CHECK_OK(MPI_Wait(&rq, &st));
        break;
    case BY_PERSISTENT:
        CHECK_OK(MPI_Recv_init(buf, l->count, l->type, 0, tag, MPI_COMM_WORLD, &rq));
        CHECK_OK(MPI_Start(&rq));
        CHECK_OK(MPI_Wait(&rq, &st));
        CHECK_OK(MPI_Request_free(&rq));
        break;
    case BY_SENDRECV:
        CHECK_OK(MPI_Sendrecv(NULL, 0, MPI_BYTE, 0, tag, buf, l->count, l->type, 0, tag,
                              MPI_COMM_WORLD, &st));
        break;
    default:
        CHECK_OK(MPI_Recv(buf, l->count, l->type, MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &st));
        CHECK_INT(st.MPI_SOURCE, 0);
        break;
    }
    int got;
    CHECK_OK(MPI_Get_count(&st, MPI_BYTE, &got));
    CHECK_INT(got, n);
    check_landed(l, buf, n);
    free(buf);
}

/* Layout l whole from both kinds of sender, then a short message. */
static void exchange(int rank, const struct layout *l, int *tag)
{
    for (int scattered = 0; scattered < 2; scattered++) {
        enum how how = (enum how)(*tag % HOW_N);
        if (rank == 0) {
            send_stream(l->total, scattered, *tag);
            if (how == BY_SENDRECV)
                CHECK_OK(MPI_Recv(NULL, 0, MPI_BYTE, 1, *tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        } else {
            recv_layout(l, how, *tag, l->total);
        }
        ++*tag;
    }
    /* A short message fills the first regions only. */
    size_t n = l->total / 2 + 3;
    if (rank == 0)
        send_stream(n, 0, *tag);
    else
        recv_layout(l, BY_RECV, *tag, n);
    ++*tag;
}

/* A message larger than the receive: MPI_ERR_TRUNCATE, and the next one
 * lands intact. */
static void truncated(int rank, const struct layout *l, int tag)
{
    if (rank == 0) {
        send_stream(l->total + 8, 0, tag);
        send_stream(l->total, 0, tag + 1);
        return;
    }
    unsigned char *buf = calloc(l->span, 1);
    CHECK(buf);
    MPI_Status st;
    CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    CHECK_CLASS(MPI_Recv(buf, l->count, l->type, 0, tag, MPI_COMM_WORLD, &st), MPI_ERR_TRUNCATE);
    CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
    free(buf);
    recv_layout(l, BY_RECV, tag + 1, l->total);
}

/* A rank receiving its own message: the self transport pulls a large one
 * into a single buffer, which is then scattered. */
static void self(const struct layout *l, int tag)
{
    unsigned char *out = malloc(l->total), *buf = calloc(l->span, 1);
    CHECK(out && buf);
    for (size_t i = 0; i < l->total; i++) out[i] = val(i);
    MPI_Request rq;
    CHECK_OK(MPI_Isend(out, (int)l->total, MPI_BYTE, 0, tag, MPI_COMM_SELF, &rq));
    CHECK_OK(MPI_Recv(buf, l->count, l->type, 0, tag, MPI_COMM_SELF, MPI_STATUS_IGNORE));
    CHECK_OK(MPI_Wait(&rq, MPI_STATUS_IGNORE));
    check_landed(l, buf, l->total);
    free(out);
    free(buf);
}

int main(int argc, char **argv)
{
    /* Before MPI_Init: the transport reads it there. */
    const char *pr = getenv("PMI_RANK");
    if (argc > 1 && !strcmp(argv[1], "--pipe-receiver") && pr && !strcmp(pr, "1"))
        setenv("FERRY_SHM_CMA", "0", 1);
    int rank, tag = 1;
    CHECK_OK(MPI_Init(&argc, &argv));
    CHECK_OK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    static struct layout ls[9];
    /* Below the eager limit (16 KiB on a node), just above it, 1 MiB. */
    mk_vector(&ls[0], 12, 40, 50);     /* 3840 bytes in 320-byte regions */
    mk_vector(&ls[1], 9, 256, 300);    /* 18432 in 2 KiB regions */
    mk_vector(&ls[2], 1024, 128, 160); /* 1 MiB in 1 KiB regions */
    mk_indexed(&ls[3], 6, 100);        /* 6 KiB */
    mk_indexed(&ls[4], 12, 300);       /* 35 KiB */
    mk_indexed(&ls[5], 64, 1600);      /* 1.3 MiB */
    mk_struct(&ls[6], 10, 50, 40);     /* 5200 */
    mk_struct(&ls[7], 20, 100, 80);    /* 20800 */
    mk_struct(&ls[8], 1000, 128, 64);  /* 1000 KiB */
    for (int i = 0; i < 9; i++) {
        CHECK_OK(MPI_Type_commit(&ls[i].type));
        int size;
        CHECK_OK(MPI_Type_size(ls[i].type, &size));
        CHECK_INT((size_t)size * (size_t)ls[i].count, ls[i].total);
    }
    if (rank < 2) {
        for (int i = 0; i < 9; i++) exchange(rank, &ls[i], &tag);
        truncated(rank, &ls[3], tag); /* eager */
        truncated(rank, &ls[2], tag + 2);
        tag += 4;
    }
    self(&ls[0], tag);
    self(&ls[2], tag + 1);
    for (int i = 0; i < 9; i++) CHECK_OK(MPI_Type_free(&ls[i].type));
    mtest_done("scatter_recv");
    CHECK_OK(MPI_Finalize());
    return 0;
}
