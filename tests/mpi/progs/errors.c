/* Errors: with MPI_ERRORS_RETURN every bad argument comes back as its
 * class; a user error handler is called with it; error strings; a
 * communicator's handler is inherited by its duplicates. Runs on 2 or
 * more ranks. */
#include <string.h>

#include "mtest.h"

static int rank, size, handler_calls, handler_code;

static void handler(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    handler_calls++;
    handler_code = *code;
}

static void argument_errors(void)
{
    int v = 0, flag;
    MPI_Request q;
    MPI_Status st;
    MPI_Comm w = MPI_COMM_WORLD;
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, size, 0, w), MPI_ERR_RANK);
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, -5, 0, w), MPI_ERR_RANK);
    CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, size + 3, 0, w, &st), MPI_ERR_RANK);
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 0, -1, w), MPI_ERR_TAG);
    CHECK_CLASS(MPI_Isend(&v, 1, MPI_INT, 0, -7, w, &q), MPI_ERR_TAG);
    CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, 0, -2, w, &st), MPI_ERR_TAG);
    CHECK_CLASS(MPI_Send(&v, -1, MPI_INT, 0, 0, w), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Irecv(&v, -3, MPI_INT, 0, 0, w, &q), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Send(&v, 1, MPI_DATATYPE_NULL, 0, 0, w), MPI_ERR_TYPE);
    CHECK_CLASS(MPI_Send(&v, 1, (MPI_Datatype)12345, 0, 0, w), MPI_ERR_TYPE);
    CHECK_CLASS(MPI_Send(NULL, 1, MPI_INT, 0, 0, w), MPI_ERR_BUFFER);
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 0, 0, MPI_COMM_NULL), MPI_ERR_COMM);
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, 0, 0, (MPI_Comm)777), MPI_ERR_COMM);
    CHECK_CLASS(MPI_Comm_size((MPI_Comm)MPI_GROUP_EMPTY, &v), MPI_ERR_COMM);
    CHECK_CLASS(MPI_Probe(size, 0, w, &st), MPI_ERR_RANK);
    CHECK_CLASS(MPI_Iprobe(0, -4, w, &flag, &st), MPI_ERR_TAG);
    /* Uncommitted derived types cannot carry data. */
    MPI_Datatype t;
    CHECK_OK(MPI_Type_contiguous(2, MPI_INT, &t));
    int two[2];
    CHECK_CLASS(MPI_Send(two, 1, t, 0, 0, w), MPI_ERR_TYPE);
    CHECK_CLASS(MPI_Type_free((MPI_Datatype[]){MPI_INT}), MPI_ERR_TYPE);
    CHECK_OK(MPI_Type_free(&t));
    CHECK_CLASS(MPI_Type_vector(-1, 1, 1, MPI_INT, &t), MPI_ERR_COUNT);
    /* Requests. */
    MPI_Request bad = (MPI_Request)0x10000999;
    CHECK_CLASS(MPI_Wait(&bad, &st), MPI_ERR_REQUEST);
    CHECK_CLASS(MPI_Test(&bad, &flag, &st), MPI_ERR_REQUEST);
    MPI_Request arr[2] = {MPI_REQUEST_NULL, (MPI_Request)MPI_COMM_WORLD};
    CHECK_CLASS(MPI_Waitall(2, arr, MPI_STATUSES_IGNORE), MPI_ERR_REQUEST);
    CHECK_CLASS(MPI_Start(&arr[0]), MPI_ERR_REQUEST);
    /* Groups and communicators. */
    MPI_Group g;
    CHECK_OK(MPI_Comm_group(w, &g));
    int r = size;
    MPI_Group ng;
    CHECK_CLASS(MPI_Group_incl(g, 1, &r, &ng), MPI_ERR_RANK);
    CHECK_CLASS(MPI_Group_size(MPI_GROUP_NULL, &r), MPI_ERR_GROUP);
    CHECK_OK(MPI_Group_free(&g));
    CHECK_CLASS(MPI_Comm_free((MPI_Comm[]){MPI_COMM_WORLD}), MPI_ERR_COMM);
    CHECK_CLASS(MPI_Comm_split(w, -3, 0, (MPI_Comm[]){MPI_COMM_NULL}), MPI_ERR_ARG);
    int key = MPI_KEYVAL_INVALID;
    CHECK_CLASS(MPI_Comm_set_attr(w, key, NULL), MPI_ERR_KEYVAL);
    CHECK_CLASS(MPI_Comm_set_attr(w, MPI_TAG_UB, NULL), MPI_ERR_KEYVAL);
    /* Buffered sends need a buffer with room. */
    CHECK_CLASS(MPI_Bsend(&v, 1, MPI_INT, rank, 0, w), MPI_ERR_BUFFER);
    char small[MPI_BSEND_OVERHEAD + 2];
    CHECK_OK(MPI_Buffer_attach(small, sizeof small));
    CHECK_CLASS(MPI_Bsend(&v, 1, MPI_INT, rank, 0, w), MPI_ERR_BUFFER);
    void *a;
    int n;
    CHECK_OK(MPI_Buffer_detach(&a, &n));
    /* Pack past the end of the buffer. */
    char out[4];
    int pos = 0;
    CHECK_CLASS(MPI_Pack(two, 2, MPI_INT, out, sizeof out, &pos, w), MPI_ERR_TRUNCATE);
}

/* A message longer than the receive buffer: MPI_ERR_TRUNCATE, eager and
 * rendezvous, blocking and not, and the next message is unharmed. */
static void truncation(void)
{
    static int big[50000];
    int peer = rank ^ 1;
    if (peer >= size) return;
    for (int i = 0; i < 50000; i++) big[i] = i;
    int lens[] = {4, 50000};
    for (int k = 0; k < 2; k++) {
        MPI_Request q;
        CHECK_OK(MPI_Isend(big, lens[k], MPI_INT, peer, 3, MPI_COMM_WORLD, &q));
        int small[2];
        MPI_Status st;
        CHECK_CLASS(MPI_Recv(small, 2, MPI_INT, peer, 3, MPI_COMM_WORLD, &st), MPI_ERR_TRUNCATE);
        CHECK_OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
        CHECK_OK(MPI_Isend(big, lens[k], MPI_INT, peer, 4, MPI_COMM_WORLD, &q));
        MPI_Request r;
        CHECK_OK(MPI_Irecv(small, 2, MPI_INT, peer, 4, MPI_COMM_WORLD, &r));
        CHECK_CLASS(MPI_Wait(&r, &st), MPI_ERR_TRUNCATE);
        CHECK_OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
        /* In an array: MPI_ERR_IN_STATUS, the class in the status. */
        MPI_Request two[2];
        MPI_Status sts[2];
        CHECK_OK(MPI_Isend(big, lens[k], MPI_INT, peer, 5, MPI_COMM_WORLD, &two[0]));
        CHECK_OK(MPI_Irecv(small, 2, MPI_INT, peer, 5, MPI_COMM_WORLD, &two[1]));
        CHECK_CLASS(MPI_Waitall(2, two, sts), MPI_ERR_IN_STATUS);
        CHECK_INT(sts[0].MPI_ERROR, MPI_SUCCESS);
        CHECK_CLASS(sts[1].MPI_ERROR, MPI_ERR_TRUNCATE);
        int v = 9;
        CHECK_OK(
            MPI_Sendrecv(&v, 1, MPI_INT, peer, 6, small, 2, MPI_INT, peer, 6, MPI_COMM_WORLD, &st));
        CHECK_INT(small[0], 9);
    }
}

static void handlers(void)
{
    MPI_Errhandler eh, got;
    CHECK_OK(MPI_Comm_create_errhandler(handler, &eh));
    MPI_Comm d;
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    CHECK_OK(MPI_Comm_set_errhandler(d, eh));
    CHECK_OK(MPI_Errhandler_free(&eh));
    CHECK(eh == MPI_ERRHANDLER_NULL);
    int v;
    CHECK_CLASS(MPI_Send(&v, 1, MPI_INT, size + 1, 0, d), MPI_ERR_RANK);
    CHECK_INT(handler_calls, 1);
    CHECK_CLASS(handler_code, MPI_ERR_RANK);
    /* Inherited by a duplicate. */
    MPI_Comm dd;
    CHECK_OK(MPI_Comm_dup(d, &dd));
    CHECK_CLASS(MPI_Recv(&v, 1, MPI_INT, 0, -9, dd, MPI_STATUS_IGNORE), MPI_ERR_TAG);
    CHECK_INT(handler_calls, 2);
    CHECK_OK(MPI_Comm_call_errhandler(dd, MPI_ERR_OTHER));
    CHECK_INT(handler_calls, 3);
    CHECK_INT(handler_code, MPI_ERR_OTHER);
    CHECK_OK(MPI_Comm_get_errhandler(dd, &got));
    CHECK(got != MPI_ERRORS_RETURN && got != MPI_ERRORS_ARE_FATAL);
    CHECK_OK(MPI_Errhandler_free(&got));
    CHECK_OK(MPI_Comm_free(&dd));
    CHECK_OK(MPI_Comm_free(&d));
    CHECK_OK(MPI_Comm_get_errhandler(MPI_COMM_WORLD, &got));
    CHECK(got == MPI_ERRORS_RETURN);
    CHECK_OK(MPI_Errhandler_free(&got));
}

static void strings(void)
{
    char s[MPI_MAX_ERROR_STRING];
    int len, cls;
    CHECK_OK(MPI_Error_string(MPI_ERR_TRUNCATE, s, &len));
    CHECK(len > 0 && (int)strlen(s) == len);
    CHECK_OK(MPI_Error_string(MPI_SUCCESS, s, &len));
    CHECK(len > 0);
    for (int c = 0; c <= MPI_ERR_LASTCODE; c++) {
        CHECK_OK(MPI_Error_class(c, &cls));
        CHECK_INT(cls, c);
        CHECK_OK(MPI_Error_string(c, s, &len));
        CHECK(len > 0 && len < MPI_MAX_ERROR_STRING);
    }
    int *last, flag;
    CHECK_OK(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_LASTUSEDCODE, &last, &flag));
    CHECK(flag && *last >= MPI_ERR_LASTCODE);
    CHECK_CLASS(MPI_Error_class(MPI_ERR_LASTCODE + 1000, &cls), MPI_ERR_ARG);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2);
    CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    argument_errors();
    truncation();
    handlers();
    strings();
    mtest_done("errors");
    MPI_Finalize();
    return 0;
}
