/* Ferry's MPI interface: point-to-point, communicators, groups, datatypes
 * and the environment of MPI 3.1, built on Ferry's ports.
 *
 * Handles are ints, as in MPICH: a kind in bits 26-29 and an index below,
 * so a handle of the wrong kind is detected and MPI_Fint conversions are
 * the identity. Every function also exists as PMPI_ for profiling tools.
 * Functions this header does not declare are not implemented.
 */
#ifndef FERRY_MPI_H
#define FERRY_MPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPI_VERSION    3
#define MPI_SUBVERSION 1

#define FERRY_MPI 1

typedef int MPI_Comm;
typedef int MPI_Group;
typedef int MPI_Datatype;
typedef int MPI_Request;
typedef int MPI_Errhandler;
typedef int MPI_Info;
typedef int MPI_Message;
typedef int MPI_Op;
typedef int MPI_Fint;
typedef intptr_t MPI_Aint;
typedef long long MPI_Offset;
typedef long long MPI_Count;

typedef struct MPI_Status {
    int MPI_SOURCE;
    int MPI_TAG;
    int MPI_ERROR;
    int ferry_cancelled;
    MPI_Count ferry_count; /* bytes */
} MPI_Status;

#define MPI_F_STATUS_SIZE ((int)(sizeof(MPI_Status) / sizeof(MPI_Fint)))

/* Null and predefined handles. */
#define MPI_COMM_NULL  ((MPI_Comm)0x04000000)
#define MPI_COMM_WORLD ((MPI_Comm)0x04000001)
#define MPI_COMM_SELF  ((MPI_Comm)0x04000002)

#define MPI_GROUP_NULL  ((MPI_Group)0x08000000)
#define MPI_GROUP_EMPTY ((MPI_Group)0x08000001)

#define MPI_REQUEST_NULL ((MPI_Request)0x10000000)

#define MPI_ERRHANDLER_NULL  ((MPI_Errhandler)0x14000000)
#define MPI_ERRORS_ARE_FATAL ((MPI_Errhandler)0x14000001)
#define MPI_ERRORS_RETURN    ((MPI_Errhandler)0x14000002)

#define MPI_INFO_NULL ((MPI_Info)0x18000000)

#define MPI_MESSAGE_NULL    ((MPI_Message)0x1c000000)
#define MPI_MESSAGE_NO_PROC ((MPI_Message)0x1c000001)

/* Reduction operations. */
#define MPI_OP_NULL ((MPI_Op)0x20000000)
#define MPI_MAX     ((MPI_Op)0x20000001)
#define MPI_MIN     ((MPI_Op)0x20000002)
#define MPI_SUM     ((MPI_Op)0x20000003)
#define MPI_PROD    ((MPI_Op)0x20000004)
#define MPI_LAND    ((MPI_Op)0x20000005)
#define MPI_BAND    ((MPI_Op)0x20000006)
#define MPI_LOR     ((MPI_Op)0x20000007)
#define MPI_BOR     ((MPI_Op)0x20000008)
#define MPI_LXOR    ((MPI_Op)0x20000009)
#define MPI_BXOR    ((MPI_Op)0x2000000a)
#define MPI_MINLOC  ((MPI_Op)0x2000000b)
#define MPI_MAXLOC  ((MPI_Op)0x2000000c)
#define MPI_REPLACE ((MPI_Op)0x2000000d)
#define MPI_NO_OP   ((MPI_Op)0x2000000e)

/* Predefined datatypes. */
#define MPI_DATATYPE_NULL           ((MPI_Datatype)0x0c000000)
#define MPI_CHAR                    ((MPI_Datatype)0x0c000001)
#define MPI_SIGNED_CHAR             ((MPI_Datatype)0x0c000002)
#define MPI_UNSIGNED_CHAR           ((MPI_Datatype)0x0c000003)
#define MPI_BYTE                    ((MPI_Datatype)0x0c000004)
#define MPI_WCHAR                   ((MPI_Datatype)0x0c000005)
#define MPI_SHORT                   ((MPI_Datatype)0x0c000006)
#define MPI_UNSIGNED_SHORT          ((MPI_Datatype)0x0c000007)
#define MPI_INT                     ((MPI_Datatype)0x0c000008)
#define MPI_UNSIGNED                ((MPI_Datatype)0x0c000009)
#define MPI_LONG                    ((MPI_Datatype)0x0c00000a)
#define MPI_UNSIGNED_LONG           ((MPI_Datatype)0x0c00000b)
#define MPI_LONG_LONG_INT           ((MPI_Datatype)0x0c00000c)
#define MPI_LONG_LONG               MPI_LONG_LONG_INT
#define MPI_UNSIGNED_LONG_LONG      ((MPI_Datatype)0x0c00000d)
#define MPI_FLOAT                   ((MPI_Datatype)0x0c00000e)
#define MPI_DOUBLE                  ((MPI_Datatype)0x0c00000f)
#define MPI_LONG_DOUBLE             ((MPI_Datatype)0x0c000010)
#define MPI_PACKED                  ((MPI_Datatype)0x0c000011)
#define MPI_C_BOOL                  ((MPI_Datatype)0x0c000012)
#define MPI_INT8_T                  ((MPI_Datatype)0x0c000013)
#define MPI_INT16_T                 ((MPI_Datatype)0x0c000014)
#define MPI_INT32_T                 ((MPI_Datatype)0x0c000015)
#define MPI_INT64_T                 ((MPI_Datatype)0x0c000016)
#define MPI_UINT8_T                 ((MPI_Datatype)0x0c000017)
#define MPI_UINT16_T                ((MPI_Datatype)0x0c000018)
#define MPI_UINT32_T                ((MPI_Datatype)0x0c000019)
#define MPI_UINT64_T                ((MPI_Datatype)0x0c00001a)
#define MPI_AINT                    ((MPI_Datatype)0x0c00001b)
#define MPI_OFFSET                  ((MPI_Datatype)0x0c00001c)
#define MPI_COUNT                   ((MPI_Datatype)0x0c00001d)
#define MPI_C_FLOAT_COMPLEX         ((MPI_Datatype)0x0c00001e)
#define MPI_C_COMPLEX               MPI_C_FLOAT_COMPLEX
#define MPI_C_DOUBLE_COMPLEX        ((MPI_Datatype)0x0c00001f)
#define MPI_C_LONG_DOUBLE_COMPLEX   ((MPI_Datatype)0x0c000020)
#define MPI_FLOAT_INT               ((MPI_Datatype)0x0c000021)
#define MPI_DOUBLE_INT              ((MPI_Datatype)0x0c000022)
#define MPI_LONG_INT                ((MPI_Datatype)0x0c000023)
#define MPI_2INT                    ((MPI_Datatype)0x0c000024)
#define MPI_SHORT_INT               ((MPI_Datatype)0x0c000025)
#define MPI_LONG_DOUBLE_INT         ((MPI_Datatype)0x0c000026)
#define MPI_CXX_BOOL                ((MPI_Datatype)0x0c000027)
#define MPI_CXX_FLOAT_COMPLEX       ((MPI_Datatype)0x0c000028)
#define MPI_CXX_DOUBLE_COMPLEX      ((MPI_Datatype)0x0c000029)
#define MPI_CXX_LONG_DOUBLE_COMPLEX ((MPI_Datatype)0x0c00002a)

/* Special values. */
#define MPI_ANY_SOURCE (-2)
#define MPI_PROC_NULL  (-1)
#define MPI_ROOT       (-3)
#define MPI_ANY_TAG    (-1)
#define MPI_UNDEFINED  (-32766)
#define MPI_BOTTOM     ((void *)0)
#define MPI_IN_PLACE   ((void *)-1)

#define MPI_STATUS_IGNORE   ((MPI_Status *)1)
#define MPI_STATUSES_IGNORE ((MPI_Status *)1)

#define MPI_BSEND_OVERHEAD 64

#define MPI_MAX_PROCESSOR_NAME         256
#define MPI_MAX_ERROR_STRING           512
#define MPI_MAX_OBJECT_NAME            128
#define MPI_MAX_LIBRARY_VERSION_STRING 8192

/* Results of MPI_Comm_compare and MPI_Group_compare. */
#define MPI_IDENT     0
#define MPI_CONGRUENT 1
#define MPI_SIMILAR   2
#define MPI_UNEQUAL   3

#define MPI_THREAD_SINGLE     0
#define MPI_THREAD_FUNNELED   1
#define MPI_THREAD_SERIALIZED 2
#define MPI_THREAD_MULTIPLE   3

#define MPI_COMM_TYPE_SHARED 1

#define MPI_ORDER_C       56
#define MPI_ORDER_FORTRAN 57

/* Attribute keys. */
#define MPI_KEYVAL_INVALID  0x28000000
#define MPI_TAG_UB          0x28000001
#define MPI_HOST            0x28000002
#define MPI_IO              0x28000003
#define MPI_WTIME_IS_GLOBAL 0x28000004
#define MPI_UNIVERSE_SIZE   0x28000005
#define MPI_LASTUSEDCODE    0x28000006
#define MPI_APPNUM          0x28000007

/* Error classes (every error code Ferry returns is a class). */
#define MPI_SUCCESS                   0
#define MPI_ERR_BUFFER                1
#define MPI_ERR_COUNT                 2
#define MPI_ERR_TYPE                  3
#define MPI_ERR_TAG                   4
#define MPI_ERR_COMM                  5
#define MPI_ERR_RANK                  6
#define MPI_ERR_REQUEST               7
#define MPI_ERR_ROOT                  8
#define MPI_ERR_GROUP                 9
#define MPI_ERR_OP                    10
#define MPI_ERR_TOPOLOGY              11
#define MPI_ERR_DIMS                  12
#define MPI_ERR_ARG                   13
#define MPI_ERR_UNKNOWN               14
#define MPI_ERR_TRUNCATE              15
#define MPI_ERR_OTHER                 16
#define MPI_ERR_INTERN                17
#define MPI_ERR_IN_STATUS             18
#define MPI_ERR_PENDING               19
#define MPI_ERR_KEYVAL                20
#define MPI_ERR_NO_MEM                21
#define MPI_ERR_BASE                  22
#define MPI_ERR_INFO_KEY              23
#define MPI_ERR_INFO_VALUE            24
#define MPI_ERR_INFO_NOKEY            25
#define MPI_ERR_SPAWN                 26
#define MPI_ERR_PORT                  27
#define MPI_ERR_SERVICE               28
#define MPI_ERR_NAME                  29
#define MPI_ERR_WIN                   30
#define MPI_ERR_SIZE                  31
#define MPI_ERR_DISP                  32
#define MPI_ERR_INFO                  33
#define MPI_ERR_LOCKTYPE              34
#define MPI_ERR_ASSERT                35
#define MPI_ERR_RMA_CONFLICT          36
#define MPI_ERR_RMA_SYNC              37
#define MPI_ERR_FILE                  38
#define MPI_ERR_NOT_SAME              39
#define MPI_ERR_AMODE                 40
#define MPI_ERR_UNSUPPORTED_DATAREP   41
#define MPI_ERR_UNSUPPORTED_OPERATION 42
#define MPI_ERR_NO_SUCH_FILE          43
#define MPI_ERR_FILE_EXISTS           44
#define MPI_ERR_BAD_FILE              45
#define MPI_ERR_ACCESS                46
#define MPI_ERR_NO_SPACE              47
#define MPI_ERR_QUOTA                 48
#define MPI_ERR_READ_ONLY             49
#define MPI_ERR_FILE_IN_USE           50
#define MPI_ERR_DUP_DATAREP           51
#define MPI_ERR_CONVERSION            52
#define MPI_ERR_IO                    53
#define MPI_ERR_RMA_RANGE             54
#define MPI_ERR_RMA_ATTACH            55
#define MPI_ERR_RMA_SHARED            56
#define MPI_ERR_RMA_FLAVOR            57
#define MPI_ERR_LASTCODE              57

/* Callbacks. */
typedef int MPI_Comm_copy_attr_function(MPI_Comm oldcomm, int keyval, void *extra_state,
                                        void *attr_in, void *attr_out, int *flag);
typedef int MPI_Comm_delete_attr_function(MPI_Comm comm, int keyval, void *attr, void *extra_state);
typedef int MPI_Copy_function(MPI_Comm oldcomm, int keyval, void *extra_state, void *attr_in,
                              void *attr_out, int *flag);
typedef int MPI_Delete_function(MPI_Comm comm, int keyval, void *attr, void *extra_state);
typedef void MPI_Comm_errhandler_function(MPI_Comm *comm, int *code, ...);
typedef MPI_Comm_errhandler_function MPI_Comm_errhandler_fn;
typedef void MPI_User_function(void *invec, void *inoutvec, int *len, MPI_Datatype *datatype);

int ferry_mpi_comm_null_copy_fn(MPI_Comm, int, void *, void *, void *, int *);
int ferry_mpi_comm_dup_fn(MPI_Comm, int, void *, void *, void *, int *);
int ferry_mpi_comm_null_delete_fn(MPI_Comm, int, void *, void *);
#define MPI_COMM_NULL_COPY_FN   ferry_mpi_comm_null_copy_fn
#define MPI_COMM_DUP_FN         ferry_mpi_comm_dup_fn
#define MPI_COMM_NULL_DELETE_FN ferry_mpi_comm_null_delete_fn
#define MPI_NULL_COPY_FN        ferry_mpi_comm_null_copy_fn
#define MPI_DUP_FN              ferry_mpi_comm_dup_fn
#define MPI_NULL_DELETE_FN      ferry_mpi_comm_null_delete_fn

/* The declarations, each followed by its PMPI_ twin. */
#define FERRY_MPI_DECL(ret, name, args)                                                            \
    ret MPI_##name args;                                                                           \
    ret PMPI_##name args;

/* Environment. */
FERRY_MPI_DECL(int, Init, (int *argc, char ***argv))
FERRY_MPI_DECL(int, Init_thread, (int *argc, char ***argv, int required, int *provided))
FERRY_MPI_DECL(int, Initialized, (int *flag))
FERRY_MPI_DECL(int, Finalize, (void))
FERRY_MPI_DECL(int, Finalized, (int *flag))
FERRY_MPI_DECL(int, Abort, (MPI_Comm comm, int errorcode))
FERRY_MPI_DECL(int, Query_thread, (int *provided))
FERRY_MPI_DECL(int, Is_thread_main, (int *flag))
FERRY_MPI_DECL(double, Wtime, (void))
FERRY_MPI_DECL(double, Wtick, (void))
FERRY_MPI_DECL(int, Get_processor_name, (char *name, int *resultlen))
FERRY_MPI_DECL(int, Get_version, (int *version, int *subversion))
FERRY_MPI_DECL(int, Get_library_version, (char *version, int *resultlen))
FERRY_MPI_DECL(int, Alloc_mem, (MPI_Aint size, MPI_Info info, void *baseptr))
FERRY_MPI_DECL(int, Free_mem, (void *base))
FERRY_MPI_DECL(int, Pcontrol, (const int level, ...))

/* Errors. */
FERRY_MPI_DECL(int, Comm_create_errhandler,
               (MPI_Comm_errhandler_function * fn, MPI_Errhandler *errhandler))
FERRY_MPI_DECL(int, Comm_set_errhandler, (MPI_Comm comm, MPI_Errhandler errhandler))
FERRY_MPI_DECL(int, Comm_get_errhandler, (MPI_Comm comm, MPI_Errhandler *errhandler))
FERRY_MPI_DECL(int, Comm_call_errhandler, (MPI_Comm comm, int errorcode))
FERRY_MPI_DECL(int, Errhandler_free, (MPI_Errhandler * errhandler))
FERRY_MPI_DECL(int, Error_string, (int errorcode, char *string, int *resultlen))
FERRY_MPI_DECL(int, Error_class, (int errorcode, int *errorclass))

/* Point-to-point. */
FERRY_MPI_DECL(int, Send,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Ssend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Rsend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Bsend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Recv,
               (void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                MPI_Status *status))
FERRY_MPI_DECL(int, Isend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Issend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Irsend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Ibsend,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Irecv,
               (void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Buffer_attach, (void *buffer, int size))
FERRY_MPI_DECL(int, Buffer_detach, (void *buffer_addr, int *size))
FERRY_MPI_DECL(int, Sendrecv,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                MPI_Comm comm, MPI_Status *status))
FERRY_MPI_DECL(int, Sendrecv_replace,
               (void *buf, int count, MPI_Datatype datatype, int dest, int sendtag, int source,
                int recvtag, MPI_Comm comm, MPI_Status *status))
FERRY_MPI_DECL(int, Probe, (int source, int tag, MPI_Comm comm, MPI_Status *status))
FERRY_MPI_DECL(int, Iprobe, (int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status))
FERRY_MPI_DECL(int, Mprobe,
               (int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status))
FERRY_MPI_DECL(int, Improbe,
               (int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message,
                MPI_Status *status))
FERRY_MPI_DECL(int, Mrecv,
               (void *buf, int count, MPI_Datatype datatype, MPI_Message *message,
                MPI_Status *status))
FERRY_MPI_DECL(int, Imrecv,
               (void *buf, int count, MPI_Datatype datatype, MPI_Message *message,
                MPI_Request *request))
FERRY_MPI_DECL(int, Send_init,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Ssend_init,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Rsend_init,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Bsend_init,
               (const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Recv_init,
               (void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Start, (MPI_Request * request))
FERRY_MPI_DECL(int, Startall, (int count, MPI_Request array_of_requests[]))

/* Completion. */
FERRY_MPI_DECL(int, Wait, (MPI_Request * request, MPI_Status *status))
FERRY_MPI_DECL(int, Waitall,
               (int count, MPI_Request array_of_requests[], MPI_Status *array_of_statuses))
FERRY_MPI_DECL(int, Waitany,
               (int count, MPI_Request array_of_requests[], int *index, MPI_Status *status))
FERRY_MPI_DECL(int, Waitsome,
               (int incount, MPI_Request array_of_requests[], int *outcount, int array_of_indices[],
                MPI_Status *array_of_statuses))
FERRY_MPI_DECL(int, Test, (MPI_Request * request, int *flag, MPI_Status *status))
FERRY_MPI_DECL(int, Testall,
               (int count, MPI_Request array_of_requests[], int *flag,
                MPI_Status *array_of_statuses))
FERRY_MPI_DECL(int, Testany,
               (int count, MPI_Request array_of_requests[], int *index, int *flag,
                MPI_Status *status))
FERRY_MPI_DECL(int, Testsome,
               (int incount, MPI_Request array_of_requests[], int *outcount, int array_of_indices[],
                MPI_Status *array_of_statuses))
FERRY_MPI_DECL(int, Request_free, (MPI_Request * request))
FERRY_MPI_DECL(int, Request_get_status, (MPI_Request request, int *flag, MPI_Status *status))
FERRY_MPI_DECL(int, Cancel, (MPI_Request * request))
FERRY_MPI_DECL(int, Test_cancelled, (const MPI_Status *status, int *flag))

/* Status. */
FERRY_MPI_DECL(int, Get_count, (const MPI_Status *status, MPI_Datatype datatype, int *count))
FERRY_MPI_DECL(int, Get_elements, (const MPI_Status *status, MPI_Datatype datatype, int *count))
FERRY_MPI_DECL(int, Get_elements_x,
               (const MPI_Status *status, MPI_Datatype datatype, MPI_Count *count))
FERRY_MPI_DECL(int, Status_set_elements, (MPI_Status * status, MPI_Datatype datatype, int count))
FERRY_MPI_DECL(int, Status_set_elements_x,
               (MPI_Status * status, MPI_Datatype datatype, MPI_Count count))
FERRY_MPI_DECL(int, Status_set_cancelled, (MPI_Status * status, int flag))

/* Collectives, blocking and nonblocking, and reduction operations. */
FERRY_MPI_DECL(int, Barrier, (MPI_Comm comm))
FERRY_MPI_DECL(int, Ibarrier, (MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Bcast, (void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm))
FERRY_MPI_DECL(int, Ibcast,
               (void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Reduce,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                int root, MPI_Comm comm))
FERRY_MPI_DECL(int, Ireduce,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                int root, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Allreduce,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Iallreduce,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Reduce_local,
               (const void *inbuf, void *inoutbuf, int count, MPI_Datatype datatype, MPI_Op op))
FERRY_MPI_DECL(int, Gather,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm))
FERRY_MPI_DECL(int, Igather,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Gatherv,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Igatherv,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Scatter,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm))
FERRY_MPI_DECL(int, Iscatter,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Scatterv,
               (const void *sendbuf, const int sendcounts[], const int displs[],
                MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                int root, MPI_Comm comm))
FERRY_MPI_DECL(int, Iscatterv,
               (const void *sendbuf, const int sendcounts[], const int displs[],
                MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                int root, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Allgather,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, MPI_Comm comm))
FERRY_MPI_DECL(int, Iallgather,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Allgatherv,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm))
FERRY_MPI_DECL(int, Iallgatherv,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Alltoall,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, MPI_Comm comm))
FERRY_MPI_DECL(int, Ialltoall,
               (const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Alltoallv,
               (const void *sendbuf, const int sendcounts[], const int sdispls[],
                MPI_Datatype sendtype, void *recvbuf, const int recvcounts[], const int rdispls[],
                MPI_Datatype recvtype, MPI_Comm comm))
FERRY_MPI_DECL(int, Ialltoallv,
               (const void *sendbuf, const int sendcounts[], const int sdispls[],
                MPI_Datatype sendtype, void *recvbuf, const int recvcounts[], const int rdispls[],
                MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Alltoallw,
               (const void *sendbuf, const int sendcounts[], const int sdispls[],
                const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm))
FERRY_MPI_DECL(int, Ialltoallw,
               (const void *sendbuf, const int sendcounts[], const int sdispls[],
                const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm,
                MPI_Request *request))
FERRY_MPI_DECL(int, Reduce_scatter,
               (const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype datatype,
                MPI_Op op, MPI_Comm comm))
FERRY_MPI_DECL(int, Ireduce_scatter,
               (const void *sendbuf, void *recvbuf, const int recvcounts[], MPI_Datatype datatype,
                MPI_Op op, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Reduce_scatter_block,
               (const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype datatype,
                MPI_Op op, MPI_Comm comm))
FERRY_MPI_DECL(int, Ireduce_scatter_block,
               (const void *sendbuf, void *recvbuf, int recvcount, MPI_Datatype datatype,
                MPI_Op op, MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Scan,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Iscan,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Exscan,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm))
FERRY_MPI_DECL(int, Iexscan,
               (const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm, MPI_Request *request))
FERRY_MPI_DECL(int, Op_create, (MPI_User_function * user_fn, int commute, MPI_Op *op))
FERRY_MPI_DECL(int, Op_free, (MPI_Op * op))
FERRY_MPI_DECL(int, Op_commutative, (MPI_Op op, int *commute))
FERRY_MPI_DECL(MPI_Fint, Op_c2f, (MPI_Op op))
FERRY_MPI_DECL(MPI_Op, Op_f2c, (MPI_Fint op))

/* Communicators. */
FERRY_MPI_DECL(int, Comm_size, (MPI_Comm comm, int *size))
FERRY_MPI_DECL(int, Comm_rank, (MPI_Comm comm, int *rank))
FERRY_MPI_DECL(int, Comm_dup, (MPI_Comm comm, MPI_Comm *newcomm))
FERRY_MPI_DECL(int, Comm_dup_with_info, (MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm))
FERRY_MPI_DECL(int, Comm_idup, (MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request))
FERRY_MPI_DECL(int, Comm_split, (MPI_Comm comm, int color, int key, MPI_Comm *newcomm))
FERRY_MPI_DECL(int, Comm_split_type,
               (MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *newcomm))
FERRY_MPI_DECL(int, Comm_create, (MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm))
FERRY_MPI_DECL(int, Comm_free, (MPI_Comm * comm))
FERRY_MPI_DECL(int, Comm_compare, (MPI_Comm comm1, MPI_Comm comm2, int *result))
FERRY_MPI_DECL(int, Comm_test_inter, (MPI_Comm comm, int *flag))
FERRY_MPI_DECL(int, Comm_set_name, (MPI_Comm comm, const char *comm_name))
FERRY_MPI_DECL(int, Comm_get_name, (MPI_Comm comm, char *comm_name, int *resultlen))
FERRY_MPI_DECL(int, Comm_group, (MPI_Comm comm, MPI_Group *group))

/* Groups. */
FERRY_MPI_DECL(int, Group_size, (MPI_Group group, int *size))
FERRY_MPI_DECL(int, Group_rank, (MPI_Group group, int *rank))
FERRY_MPI_DECL(int, Group_incl, (MPI_Group group, int n, const int ranks[], MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_excl, (MPI_Group group, int n, const int ranks[], MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_range_incl,
               (MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_range_excl,
               (MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_union, (MPI_Group group1, MPI_Group group2, MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_intersection, (MPI_Group group1, MPI_Group group2, MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_difference, (MPI_Group group1, MPI_Group group2, MPI_Group *newgroup))
FERRY_MPI_DECL(int, Group_translate_ranks,
               (MPI_Group group1, int n, const int ranks1[], MPI_Group group2, int ranks2[]))
FERRY_MPI_DECL(int, Group_compare, (MPI_Group group1, MPI_Group group2, int *result))
FERRY_MPI_DECL(int, Group_free, (MPI_Group * group))

/* Attributes. */
FERRY_MPI_DECL(int, Comm_create_keyval,
               (MPI_Comm_copy_attr_function * copy_fn, MPI_Comm_delete_attr_function *delete_fn,
                int *keyval, void *extra_state))
FERRY_MPI_DECL(int, Comm_free_keyval, (int *keyval))
FERRY_MPI_DECL(int, Comm_set_attr, (MPI_Comm comm, int keyval, void *attribute_val))
FERRY_MPI_DECL(int, Comm_get_attr, (MPI_Comm comm, int keyval, void *attribute_val, int *flag))
FERRY_MPI_DECL(int, Comm_delete_attr, (MPI_Comm comm, int keyval))
/* The MPI-1 names, deprecated but still in MPI 3.1. */
FERRY_MPI_DECL(int, Keyval_create,
               (MPI_Copy_function * copy_fn, MPI_Delete_function *delete_fn, int *keyval,
                void *extra_state))
FERRY_MPI_DECL(int, Keyval_free, (int *keyval))
FERRY_MPI_DECL(int, Attr_put, (MPI_Comm comm, int keyval, void *attribute_val))
FERRY_MPI_DECL(int, Attr_get, (MPI_Comm comm, int keyval, void *attribute_val, int *flag))
FERRY_MPI_DECL(int, Attr_delete, (MPI_Comm comm, int keyval))

/* Datatypes. */
FERRY_MPI_DECL(int, Type_contiguous, (int count, MPI_Datatype oldtype, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_vector,
               (int count, int blocklength, int stride, MPI_Datatype oldtype,
                MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_hvector,
               (int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_indexed,
               (int count, const int array_of_blocklengths[], const int array_of_displacements[],
                MPI_Datatype oldtype, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_hindexed,
               (int count, const int array_of_blocklengths[],
                const MPI_Aint array_of_displacements[], MPI_Datatype oldtype,
                MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_indexed_block,
               (int count, int blocklength, const int array_of_displacements[],
                MPI_Datatype oldtype, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_hindexed_block,
               (int count, int blocklength, const MPI_Aint array_of_displacements[],
                MPI_Datatype oldtype, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_struct,
               (int count, const int array_of_blocklengths[],
                const MPI_Aint array_of_displacements[], const MPI_Datatype array_of_types[],
                MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_resized,
               (MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_create_subarray,
               (int ndims, const int array_of_sizes[], const int array_of_subsizes[],
                const int array_of_starts[], int order, MPI_Datatype oldtype,
                MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_commit, (MPI_Datatype * datatype))
FERRY_MPI_DECL(int, Type_free, (MPI_Datatype * datatype))
FERRY_MPI_DECL(int, Type_dup, (MPI_Datatype oldtype, MPI_Datatype *newtype))
FERRY_MPI_DECL(int, Type_size, (MPI_Datatype datatype, int *size))
FERRY_MPI_DECL(int, Type_size_x, (MPI_Datatype datatype, MPI_Count *size))
FERRY_MPI_DECL(int, Type_get_extent, (MPI_Datatype datatype, MPI_Aint *lb, MPI_Aint *extent))
FERRY_MPI_DECL(int, Type_get_extent_x, (MPI_Datatype datatype, MPI_Count *lb, MPI_Count *extent))
FERRY_MPI_DECL(int, Type_get_true_extent,
               (MPI_Datatype datatype, MPI_Aint *true_lb, MPI_Aint *true_extent))
FERRY_MPI_DECL(int, Type_get_true_extent_x,
               (MPI_Datatype datatype, MPI_Count *true_lb, MPI_Count *true_extent))
FERRY_MPI_DECL(int, Type_set_name, (MPI_Datatype datatype, const char *type_name))
FERRY_MPI_DECL(int, Type_get_name, (MPI_Datatype datatype, char *type_name, int *resultlen))
FERRY_MPI_DECL(int, Pack,
               (const void *inbuf, int incount, MPI_Datatype datatype, void *outbuf, int outsize,
                int *position, MPI_Comm comm))
FERRY_MPI_DECL(int, Unpack,
               (const void *inbuf, int insize, int *position, void *outbuf, int outcount,
                MPI_Datatype datatype, MPI_Comm comm))
FERRY_MPI_DECL(int, Pack_size, (int incount, MPI_Datatype datatype, MPI_Comm comm, int *size))
FERRY_MPI_DECL(int, Get_address, (const void *location, MPI_Aint *address))
FERRY_MPI_DECL(MPI_Aint, Aint_add, (MPI_Aint base, MPI_Aint disp))
FERRY_MPI_DECL(MPI_Aint, Aint_diff, (MPI_Aint addr1, MPI_Aint addr2))

/* Handle conversions (Fortran integers). */
FERRY_MPI_DECL(MPI_Fint, Comm_c2f, (MPI_Comm comm))
FERRY_MPI_DECL(MPI_Comm, Comm_f2c, (MPI_Fint comm))
FERRY_MPI_DECL(MPI_Fint, Type_c2f, (MPI_Datatype datatype))
FERRY_MPI_DECL(MPI_Datatype, Type_f2c, (MPI_Fint datatype))
FERRY_MPI_DECL(MPI_Fint, Group_c2f, (MPI_Group group))
FERRY_MPI_DECL(MPI_Group, Group_f2c, (MPI_Fint group))
FERRY_MPI_DECL(MPI_Fint, Request_c2f, (MPI_Request request))
FERRY_MPI_DECL(MPI_Request, Request_f2c, (MPI_Fint request))
FERRY_MPI_DECL(MPI_Fint, Errhandler_c2f, (MPI_Errhandler errhandler))
FERRY_MPI_DECL(MPI_Errhandler, Errhandler_f2c, (MPI_Fint errhandler))
FERRY_MPI_DECL(MPI_Fint, Info_c2f, (MPI_Info info))
FERRY_MPI_DECL(MPI_Info, Info_f2c, (MPI_Fint info))
FERRY_MPI_DECL(MPI_Fint, Message_c2f, (MPI_Message message))
FERRY_MPI_DECL(MPI_Message, Message_f2c, (MPI_Fint message))
FERRY_MPI_DECL(int, Status_c2f, (const MPI_Status *c_status, MPI_Fint *f_status))
FERRY_MPI_DECL(int, Status_f2c, (const MPI_Fint *f_status, MPI_Status *c_status))

#undef FERRY_MPI_DECL

#ifdef __cplusplus
}
#endif
#endif /* FERRY_MPI_H */
