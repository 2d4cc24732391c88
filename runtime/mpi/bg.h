/* Background work of the MPI layer, and waiting. Part of mpi_impl.h,
 * included through it only. */
#ifndef FERRY_MPI_BG_H
#define FERRY_MPI_BG_H

/* Something the MPI layer advances while any MPI call waits: nonblocking
 * communicator creation, requests freed while still active. */
struct mpi_sched {
    struct mpi_sched *next;
    int (*poll)(struct mpi_sched *s);   /* returns nonzero once finished */
    int (*finish)(struct mpi_sched *s); /* free it once done; returns its MPI error class */
    int done;
};

void bg_add(struct mpi_sched *s);
void bg_remove(struct mpi_sched *s);
void mpi_bg_poll(void);
/* Drive progress (and background work) until done(arg). */
void mpi_wait_until(int (*done)(void *), void *arg);
/* Drive progress once, without blocking (the test calls). */
void mpi_poke(void);

#endif
