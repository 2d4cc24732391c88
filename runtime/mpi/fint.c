/* Handle conversions for Fortran: handles are ints already, so the same
 * value serves both languages. */
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

#define PRAGMA(x) _Pragma(#x)
#define SAME(Name, Type)                                                                           \
    PRAGMA(weak MPI_##Name##_c2f = PMPI_##Name##_c2f)                                              \
    FERRY_API MPI_Fint PMPI_##Name##_c2f(Type h)                                                   \
    {                                                                                              \
        return (MPI_Fint)h;                                                                        \
    }                                                                                              \
    PRAGMA(weak MPI_##Name##_f2c = PMPI_##Name##_f2c)                                              \
    FERRY_API Type PMPI_##Name##_f2c(MPI_Fint h)                                                   \
    {                                                                                              \
        return (Type)h;                                                                            \
    }

SAME(Comm, MPI_Comm)
SAME(Type, MPI_Datatype)
SAME(Group, MPI_Group)
SAME(Request, MPI_Request)
SAME(Errhandler, MPI_Errhandler)
SAME(Info, MPI_Info)
SAME(Message, MPI_Message)

#pragma weak MPI_Status_c2f = PMPI_Status_c2f
FERRY_API int PMPI_Status_c2f(const MPI_Status *c, MPI_Fint *f)
{
    LOCKED();
    if (status_ignored(c) || !f)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Status_c2f", "null or ignored status");
    memcpy(f, c, sizeof *c);
    return MPI_SUCCESS;
}

#pragma weak MPI_Status_f2c = PMPI_Status_f2c
FERRY_API int PMPI_Status_f2c(const MPI_Fint *f, MPI_Status *c)
{
    LOCKED();
    if (!f || status_ignored(c))
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Status_f2c", "null or ignored status");
    memcpy(c, f, sizeof *c);
    return MPI_SUCCESS;
}
