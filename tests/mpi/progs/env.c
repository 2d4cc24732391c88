/* The environment: initialisation state, thread level, time, names,
 * versions, memory, Pcontrol, handle conversions, MPI_COMM_SELF attributes
 * deleted at MPI_Finalize. */
#include <string.h>
#include <unistd.h>

#include "mtest.h"

static int self_deleted;

static int on_finalize(MPI_Comm comm, int key, void *val, void *extra)
{
    (void)comm;
    (void)key;
    (void)extra;
    /* MPI is still usable while MPI_Finalize deletes these. */
    int init;
    MPI_Initialized(&init);
    if (init && val == (void *)&self_deleted) self_deleted = 1;
    return MPI_SUCCESS;
}

int main(int argc, char **argv)
{
    int flag, provided;
    CHECK_OK(MPI_Initialized(&flag));
    CHECK(!flag);
    CHECK_OK(MPI_Finalized(&flag));
    CHECK(!flag);
    int version, subversion;
    CHECK_OK(MPI_Get_version(&version, &subversion));
    CHECK(version == MPI_VERSION && subversion == MPI_SUBVERSION);
    CHECK_OK(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided));
    /* Honest: what the library really supports, never more than asked. */
    CHECK(provided >= MPI_THREAD_SINGLE && provided <= MPI_THREAD_MULTIPLE);
    int q;
    CHECK_OK(MPI_Query_thread(&q));
    CHECK_INT(q, provided);
    CHECK_OK(MPI_Is_thread_main(&flag));
    CHECK(flag);
    CHECK_OK(MPI_Initialized(&flag));
    CHECK(flag);

    int rank, size;
    CHECK_OK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    CHECK_OK(MPI_Comm_size(MPI_COMM_WORLD, &size));

    double t0 = MPI_Wtime(), tick = MPI_Wtick();
    CHECK(tick > 0 && tick < 0.01);
    usleep(20000);
    double t1 = MPI_Wtime();
    CHECK(t1 - t0 >= 0.015 && t1 - t0 < 5);

    char name[MPI_MAX_PROCESSOR_NAME], host[256];
    int len;
    CHECK_OK(MPI_Get_processor_name(name, &len));
    CHECK(len > 0 && (int)strlen(name) == len);
    gethostname(host, sizeof host);
    CHECK(!strncmp(name, host, sizeof host));

    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    CHECK_OK(MPI_Get_library_version(lib, &len));
    CHECK(len > 0 && (int)strlen(lib) == len);

    /* Memory from MPI_Alloc_mem is usable and can carry messages. */
    int *mem;
    CHECK_OK(MPI_Alloc_mem(1000 * sizeof(int), MPI_INFO_NULL, &mem));
    for (int i = 0; i < 1000; i++) mem[i] = rank + i;
    CHECK_OK(MPI_Sendrecv_replace(mem, 1000, MPI_INT, (rank + 1) % size, 0,
                                  (rank - 1 + size) % size, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    CHECK_INT(mem[999], (rank - 1 + size) % size + 999);
    CHECK_OK(MPI_Free_mem(mem));
    /* Large ones too, sent by rendezvous from and into them. */
    enum { BIG = 1 << 19 };
    int *out, *in;
    CHECK_OK(MPI_Alloc_mem(BIG * sizeof(int), MPI_INFO_NULL, &out));
    CHECK_OK(MPI_Alloc_mem(BIG * sizeof(int), MPI_INFO_NULL, &in));
    CHECK(out != in);
    for (int i = 0; i < BIG; i++) out[i] = rank * 7 + i;
    CHECK_OK(MPI_Sendrecv(out, BIG, MPI_INT, (rank + 1) % size, 1, in, BIG, MPI_INT,
                          (rank - 1 + size) % size, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    for (int i = 0; i < BIG; i++) CHECK_INT(in[i], (rank - 1 + size) % size * 7 + i);
    CHECK_OK(MPI_Free_mem(out));
    CHECK_OK(MPI_Free_mem(in));

    CHECK_OK(MPI_Pcontrol(1));
    CHECK_OK(MPI_Pcontrol(0, "ignored"));

    /* Handles survive the round trip through Fortran integers. */
    CHECK(MPI_Comm_f2c(MPI_Comm_c2f(MPI_COMM_WORLD)) == MPI_COMM_WORLD);
    CHECK(MPI_Type_f2c(MPI_Type_c2f(MPI_DOUBLE)) == MPI_DOUBLE);
    CHECK(MPI_Group_f2c(MPI_Group_c2f(MPI_GROUP_EMPTY)) == MPI_GROUP_EMPTY);
    CHECK(MPI_Request_f2c(MPI_Request_c2f(MPI_REQUEST_NULL)) == MPI_REQUEST_NULL);
    CHECK(MPI_Errhandler_f2c(MPI_Errhandler_c2f(MPI_ERRORS_RETURN)) == MPI_ERRORS_RETURN);
    CHECK(MPI_Info_f2c(MPI_Info_c2f(MPI_INFO_NULL)) == MPI_INFO_NULL);
    CHECK(MPI_Message_f2c(MPI_Message_c2f(MPI_MESSAGE_NULL)) == MPI_MESSAGE_NULL);
    MPI_Comm d;
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    MPI_Fint fd = MPI_Comm_c2f(d);
    MPI_Comm back = MPI_Comm_f2c(fd);
    CHECK_OK(MPI_Comm_size(back, &len));
    CHECK_INT(len, size);
    CHECK_OK(MPI_Comm_free(&back));
    MPI_Status st, st2;
    st.MPI_SOURCE = 3;
    st.MPI_TAG = 4;
    st.MPI_ERROR = MPI_SUCCESS;
    CHECK_OK(MPI_Status_set_elements(&st, MPI_INT, 5));
    CHECK_OK(MPI_Status_set_cancelled(&st, 1));
    MPI_Fint f[MPI_F_STATUS_SIZE];
    CHECK_OK(MPI_Status_c2f(&st, f));
    CHECK_OK(MPI_Status_f2c(f, &st2));
    CHECK(st2.MPI_SOURCE == 3 && st2.MPI_TAG == 4);
    CHECK_OK(MPI_Get_count(&st2, MPI_INT, &len));
    CHECK_INT(len, 5);
    CHECK_OK(MPI_Test_cancelled(&st2, &flag));
    CHECK(flag);

    /* The PMPI_ names are the same functions. */
    int prank;
    CHECK_OK(PMPI_Comm_rank(MPI_COMM_WORLD, &prank));
    CHECK_INT(prank, rank);

    int key;
    CHECK_OK(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, on_finalize, &key, NULL));
    CHECK_OK(MPI_Comm_set_attr(MPI_COMM_SELF, key, &self_deleted));
    mtest_done("env");
    CHECK_OK(MPI_Finalize());
    CHECK(self_deleted);
    CHECK_OK(MPI_Finalized(&flag));
    CHECK(flag);
    CHECK_OK(MPI_Initialized(&flag));
    CHECK(flag);
    return 0;
}
