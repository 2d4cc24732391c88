/* Packing and unpacking: the datatype engine's copy loops, MPI_Pack,
 * MPI_Unpack, MPI_Pack_size, and address arithmetic. */
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

void dt_pack(const struct mpi_dtype *t, MPI_Count count, const void *buf, void *out)
{
    char *o = out;
    MPI_Aint ext = dt_extent(t);
    if (t->contig) {
        memcpy(o, addr_add(buf, t->blocks[0].off), (size_t)(count * t->size));
        return;
    }
    for (MPI_Count e = 0; e < count; e++) {
        const void *base = addr_add(buf, (MPI_Aint)e * ext);
        for (size_t b = 0; b < t->nblocks; b++) {
            memcpy(o, addr_add(base, t->blocks[b].off), (size_t)t->blocks[b].len);
            o += t->blocks[b].len;
        }
    }
}

void dt_unpack(const struct mpi_dtype *t, MPI_Count count, const void *in, MPI_Count nbytes,
               void *buf)
{
    const char *i = in;
    MPI_Aint ext = dt_extent(t);
    if (t->contig) {
        MPI_Count n = count * t->size;
        memcpy(addr_add(buf, t->blocks[0].off), i, (size_t)(nbytes < n ? nbytes : n));
        return;
    }
    for (MPI_Count e = 0; e < count && nbytes > 0; e++) {
        void *base = addr_add(buf, (MPI_Aint)e * ext);
        for (size_t b = 0; b < t->nblocks && nbytes > 0; b++) {
            MPI_Aint len = t->blocks[b].len < nbytes ? t->blocks[b].len : (MPI_Aint)nbytes;
            memcpy(addr_add(base, t->blocks[b].off), i, (size_t)len);
            i += len;
            nbytes -= len;
        }
    }
}

MPI_Count dt_elements(const struct mpi_dtype *t, MPI_Count nbytes)
{
    if (!t->size) return nbytes ? MPI_UNDEFINED : 0;
    MPI_Count n = nbytes / t->size * t->nbasic, rem = nbytes % t->size;
    for (size_t s = 0; s < t->nsig && rem; s++) {
        MPI_Count run = t->sig[s].bsize * t->sig[s].count;
        if (rem >= run) {
            n += t->sig[s].count;
            rem -= run;
        } else {
            n += rem / t->sig[s].bsize;
            rem %= t->sig[s].bsize;
            break;
        }
    }
    return rem ? MPI_UNDEFINED : n;
}

static int pack_args(MPI_Comm comm, int count, MPI_Datatype type, const char *fn,
                     struct mpi_comm **c, struct mpi_dtype **t)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_count(*c, count, fn)) ||
        (rc = check_dtype(*c, type, fn, t)))
        return rc;
    return MPI_SUCCESS;
}

#pragma weak MPI_Pack = PMPI_Pack
FERRY_API int PMPI_Pack(const void *inbuf, int incount, MPI_Datatype type, void *outbuf,
                        int outsize, int *position, MPI_Comm comm)
{
    LOCKED();
    static const char *const FN = "MPI_Pack";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = pack_args(comm, incount, type, FN, &c, &t);
    if (rc || (rc = check_buf(c, inbuf, incount, t, FN))) return rc;
    if (!position || (!outbuf && outsize > 0))
        return mpi_err(c, MPI_ERR_ARG, FN, "null %s", position ? "output buffer" : "position");
    MPI_Count n = (MPI_Count)incount * t->size;
    if (*position < 0 || *position > outsize || n > outsize - *position)
        return mpi_err(c, MPI_ERR_TRUNCATE, FN,
                       "%lld bytes do not fit at position %d of a %d-byte buffer", (long long)n,
                       *position, outsize);
    if (n) dt_pack(t, incount, inbuf, addr_add(outbuf, *position));
    *position += (int)n;
    return MPI_SUCCESS;
}

#pragma weak MPI_Unpack = PMPI_Unpack
FERRY_API int PMPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf, int outcount,
                          MPI_Datatype type, MPI_Comm comm)
{
    LOCKED();
    static const char *const FN = "MPI_Unpack";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = pack_args(comm, outcount, type, FN, &c, &t);
    if (rc || (rc = check_buf(c, outbuf, outcount, t, FN))) return rc;
    if (!position || (!inbuf && insize > 0))
        return mpi_err(c, MPI_ERR_ARG, FN, "null %s", position ? "input buffer" : "position");
    MPI_Count n = (MPI_Count)outcount * t->size;
    if (*position < 0 || *position > insize || n > insize - *position)
        return mpi_err(c, MPI_ERR_TRUNCATE, FN,
                       "%lld bytes wanted at position %d of a %d-byte buffer", (long long)n,
                       *position, insize);
    if (n) dt_unpack(t, outcount, addr_add(inbuf, *position), n, outbuf);
    *position += (int)n;
    return MPI_SUCCESS;
}

#pragma weak MPI_Pack_size = PMPI_Pack_size
FERRY_API int PMPI_Pack_size(int incount, MPI_Datatype type, MPI_Comm comm, int *size)
{
    LOCKED();
    static const char *const FN = "MPI_Pack_size";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = pack_args(comm, incount, type, FN, &c, &t);
    if (rc) return rc;
    if (!size) return mpi_err(c, MPI_ERR_ARG, FN, "null result pointer");
    /* Packed data is the bytes alone: no header, no conversion. */
    MPI_Count n = (MPI_Count)incount * t->size;
    if (n > 0x7fffffff) return mpi_err(c, MPI_ERR_SIZE, FN, "%lld bytes exceed an int", n);
    *size = (int)n;
    return MPI_SUCCESS;
}

#pragma weak MPI_Get_address = PMPI_Get_address
FERRY_API int PMPI_Get_address(const void *location, MPI_Aint *address)
{
    LOCKED();
    if (!address) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_address", "null result pointer");
    *address = (MPI_Aint)(uintptr_t)location;
    return MPI_SUCCESS;
}

#pragma weak MPI_Aint_add = PMPI_Aint_add
FERRY_API MPI_Aint PMPI_Aint_add(MPI_Aint base, MPI_Aint disp)
{
    LOCKED();
    return (MPI_Aint)((uintptr_t)base + (uintptr_t)disp);
}

#pragma weak MPI_Aint_diff = PMPI_Aint_diff
FERRY_API MPI_Aint PMPI_Aint_diff(MPI_Aint a, MPI_Aint b)
{
    LOCKED();
    return (MPI_Aint)((uintptr_t)a - (uintptr_t)b);
}
