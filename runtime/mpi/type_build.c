/* Flattening parts into blocks and a signature, with MPI's rules for the
 * bounds: lb and ub follow each part's old type bounds (so resized types
 * shape their containers), the true bounds follow the bytes. */
#include <stdlib.h>

#include "runtime/mpi/type_build.h"

int type_arg(MPI_Datatype h, const char *fn, struct mpi_dtype **out)
{
    *out = NULL;
    MPI_CHECK_INIT(fn);
    struct mpi_dtype *t = dtype_get(h);
    if (!t) {
        if (h == MPI_DATATYPE_NULL) return mpi_err(NULL, MPI_ERR_TYPE, fn, "null datatype");
        return mpi_err(NULL, MPI_ERR_TYPE, fn, "invalid datatype %#x", (unsigned)h);
    }
    *out = t;
    return MPI_SUCCESS;
}

static void add_block(struct mpi_dtype *d, MPI_Aint off, MPI_Aint len)
{
    if (!len) return;
    struct dt_block *last = d->nblocks ? &d->blocks[d->nblocks - 1] : NULL;
    if (last && last->off + last->len == off)
        last->len += len;
    else
        d->blocks[d->nblocks++] = (struct dt_block){off, len};
}

static void add_sig(struct mpi_dtype *d, MPI_Count bsize, MPI_Count count)
{
    if (!count) return;
    struct dt_sig *last = d->nsig ? &d->sig[d->nsig - 1] : NULL;
    if (last && last->bsize == bsize)
        last->count += count;
    else
        d->sig[d->nsig++] = (struct dt_sig){bsize, count};
}

/* Upper bounds of the number of blocks and runs, or -1 on overflow. */
static int count_room(const struct part *parts, size_t np, size_t *nb, size_t *ns)
{
    size_t b = 0, s = 0;
    for (size_t i = 0; i < np; i++) {
        const struct part *p = &parts[i];
        if (p->n <= 0) continue;
        size_t n = (size_t)p->n;
        size_t pb = p->t->contig ? 1 : p->t->nblocks, ps = p->t->nsig == 1 ? 1 : p->t->nsig;
        if (!p->t->contig && pb && n > SIZE_MAX / 2 / pb) return -1;
        if (p->t->nsig != 1 && ps && n > SIZE_MAX / 2 / ps) return -1;
        b += p->t->contig ? 1 : n * pb;
        s += p->t->nsig == 1 ? 1 : n * ps;
        if (b > SIZE_MAX / 4 / sizeof(struct dt_block)) return -1;
    }
    *nb = b;
    *ns = s;
    return 0;
}

int type_build(struct mpi_dtype *d, const struct part *parts, size_t np, int is_struct)
{
    size_t nb, ns;
    if (count_room(parts, np, &nb, &ns)) return MPI_ERR_NO_MEM;
    d->blocks = malloc((nb ? nb : 1) * sizeof *d->blocks);
    d->sig = malloc((ns ? ns : 1) * sizeof *d->sig);
    if (!d->blocks || !d->sig) return MPI_ERR_NO_MEM;
    d->nblocks = d->nsig = 0;
    d->size = d->nbasic = 0;
    d->align = 1;
    int bounded = 0;
    for (size_t i = 0; i < np; i++) {
        const struct part *p = &parts[i];
        const struct mpi_dtype *t = p->t;
        if (p->n <= 0) continue;
        MPI_Aint ext = dt_extent(t);
        if (t->contig) {
            add_block(d, p->disp + t->blocks[0].off, (MPI_Aint)(p->n * t->size));
        } else {
            for (MPI_Count j = 0; j < p->n; j++)
                for (size_t b = 0; b < t->nblocks; b++)
                    add_block(d, p->disp + (MPI_Aint)j * ext + t->blocks[b].off, t->blocks[b].len);
        }
        if (t->nsig == 1) {
            add_sig(d, t->sig[0].bsize, t->sig[0].count * p->n);
        } else {
            for (MPI_Count j = 0; j < p->n; j++)
                for (size_t s = 0; s < t->nsig; s++) add_sig(d, t->sig[s].bsize, t->sig[s].count);
        }
        MPI_Aint span = (MPI_Aint)(p->n - 1) * ext;
        MPI_Aint lo = p->disp + t->lb + (span < 0 ? span : 0);
        MPI_Aint hi = p->disp + t->ub + (span > 0 ? span : 0);
        if (!bounded || lo < d->lb) d->lb = lo;
        if (!bounded || hi > d->ub) d->ub = hi;
        bounded = 1;
        d->size += p->n * t->size;
        d->nbasic += p->n * t->nbasic;
        if (t->align > d->align) d->align = t->align;
    }
    if (!bounded) d->lb = d->ub = 0;
    d->true_lb = d->true_ub = 0;
    for (size_t b = 0; b < d->nblocks; b++) {
        MPI_Aint lo = d->blocks[b].off, hi = lo + d->blocks[b].len;
        if (!b || lo < d->true_lb) d->true_lb = lo;
        if (!b || hi > d->true_ub) d->true_ub = hi;
    }
    /* MPI's epsilon: a struct's extent rounds up to its strictest member's
     * alignment, as the C compiler pads the struct it describes. */
    MPI_Aint ext = d->ub - d->lb;
    if (is_struct && d->align > 1 && ext % d->align) d->ub += d->align - ext % d->align;
    return MPI_SUCCESS;
}

int type_make(const struct part *parts, size_t np, int is_struct, MPI_Datatype *out, const char *fn)
{
    struct mpi_dtype *d = dtype_alloc();
    if (!d) return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    int rc = type_build(d, parts, np, is_struct);
    if (rc) {
        dtype_unref(d);
        return mpi_err(NULL, rc, fn, "out of memory (the type has too many blocks)");
    }
    if ((rc = dtype_publish(d, out))) return mpi_err(NULL, rc, fn, "out of memory");
    return MPI_SUCCESS;
}
