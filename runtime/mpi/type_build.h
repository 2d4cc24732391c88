/* Building a derived type from parts: each part is n consecutive elements
 * of a type, placed at a byte displacement. Every constructor reduces to
 * a list of parts. */
#ifndef FERRY_MPI_TYPE_BUILD_H
#define FERRY_MPI_TYPE_BUILD_H

#include "runtime/mpi/mpi_impl.h"

struct part {
    MPI_Aint disp;
    MPI_Count n;
    const struct mpi_dtype *t;
};

/* Fill d (from dtype_alloc) from parts; a struct's extent is padded to
 * its alignment. Returns an MPI class. */
int type_build(struct mpi_dtype *d, const struct part *parts, size_t np, int is_struct);
/* Build from parts and publish as *out, reporting errors as fn. */
int type_make(const struct part *parts, size_t np, int is_struct, MPI_Datatype *out,
              const char *fn);
/* The type behind a constructor's old type argument (need not be
 * committed). */
int type_arg(MPI_Datatype h, const char *fn, struct mpi_dtype **out);

#endif
