/* Datatypes, kept flattened: the blocks of one element in type-map
 * order. Part of mpi_impl.h, included through it only. */
#ifndef FERRY_MPI_DATATYPE_H
#define FERRY_MPI_DATATYPE_H

struct dt_block {
    MPI_Aint off, len;
};

/* A run of basic elements of one size, in type-map order. */
struct dt_sig {
    MPI_Count bsize, count;
};

struct mpi_dtype {
    int handle;
    int refs;
    uint8_t predefined, committed;
    uint8_t single; /* one block: a count of 1 is contiguous */
    uint8_t contig; /* one block as long as the extent: any count is contiguous */
    MPI_Count size;
    MPI_Aint lb, ub, true_lb, true_ub;
    MPI_Aint align; /* for the padding of structs */
    MPI_Count nbasic;
    size_t nblocks;
    struct dt_block *blocks; /* one element, in type-map order, adjacent ones merged */
    size_t nsig;
    struct dt_sig *sig;
    char name[MPI_MAX_OBJECT_NAME];
};

static inline struct mpi_dtype *dtype_get(MPI_Datatype h)
{
    return (struct mpi_dtype *)htab_get(&mpi_s.dtypes, h);
}

static inline MPI_Aint dt_extent(const struct mpi_dtype *t)
{
    return t->ub - t->lb;
}

/* Address arithmetic without pointer arithmetic, so MPI_BOTTOM (NULL)
 * plus an absolute address is well defined. */
static inline void *addr_add(const void *p, MPI_Aint off)
{
    return (void *)((uintptr_t)p + (uintptr_t)off);
}

/* Where count elements of t at buf lie when they are one contiguous span:
 * 1 and *p, or 0 when they must be packed. */
static inline int dt_span(const struct mpi_dtype *t, int count, const void *buf, const void **p)
{
    if (t->contig || (t->single && count <= 1)) {
        *p = t->nblocks ? addr_add(buf, t->blocks[0].off) : buf;
        return 1;
    }
    if (!t->nblocks) {
        *p = buf;
        return 1;
    }
    return 0;
}

void dtype_ref(struct mpi_dtype *t);
void dtype_unref(struct mpi_dtype *t);
int dtypes_init(void);
void dtypes_fini(void);
/* A new derived type, not yet published; NULL when out of memory. */
struct mpi_dtype *dtype_alloc(void);
int dtype_publish(struct mpi_dtype *t, MPI_Datatype *out);

/* Copy count elements to/from a packed byte stream. Unpacking stops after
 * nbytes (a short message may end inside an element). */
void dt_pack(const struct mpi_dtype *t, MPI_Count count, const void *buf, void *out);
void dt_unpack(const struct mpi_dtype *t, MPI_Count count, const void *in, MPI_Count nbytes,
               void *buf);
/* Basic elements in nbytes of t's type map, or MPI_UNDEFINED. */
MPI_Count dt_elements(const struct mpi_dtype *t, MPI_Count nbytes);

#endif
