/* Attribute keys and communicator attributes, with their copy and delete
 * callbacks; the predefined attributes (MPI_TAG_UB, ...) on every
 * communicator. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

struct keyval {
    int handle; /* MPI_KEYVAL_INVALID once freed */
    int id;     /* the handle it had, for the callbacks */
    int refs;   /* the handle's, and one per attribute set with it */
    MPI_Comm_copy_attr_function *copy;
    MPI_Comm_delete_attr_function *del;
    void *extra;
};

struct attr {
    struct attr *next;
    struct keyval *kv;
    void *val;
};

#define NPREDEFINED 8 /* MPI_KEYVAL_INVALID and the 7 predefined keys */

void keyvals_init(void)
{
    htab_init(&mpi_s.keyvals, HK_KEYVAL, NPREDEFINED);
}

void keyvals_fini(void)
{
    for (uint32_t i = mpi_s.keyvals.first; i < mpi_s.keyvals.n; i++) free(mpi_s.keyvals.slot[i]);
    htab_fini(&mpi_s.keyvals);
}

static void kv_unref(struct keyval *k)
{
    if (--k->refs > 0) return;
    if (k->handle != MPI_KEYVAL_INVALID) htab_del(&mpi_s.keyvals, k->handle);
    free(k);
}

FERRY_API int ferry_mpi_comm_null_copy_fn(MPI_Comm c, int k, void *extra, void *in, void *out,
                                          int *flag)
{
    LOCKED();
    *flag = 0;
    return MPI_SUCCESS;
}

FERRY_API int ferry_mpi_comm_dup_fn(MPI_Comm c, int k, void *extra, void *in, void *out, int *flag)
{
    LOCKED();
    *(void **)out = in;
    *flag = 1;
    return MPI_SUCCESS;
}

FERRY_API int ferry_mpi_comm_null_delete_fn(MPI_Comm c, int k, void *val, void *extra)
{
    LOCKED();
    return MPI_SUCCESS;
}

static int create_keyval(MPI_Comm_copy_attr_function *copy, MPI_Comm_delete_attr_function *del,
                         int *keyval, void *extra, const char *fn)
{
    MPI_CHECK_INIT(fn);
    if (!keyval) return mpi_err(NULL, MPI_ERR_ARG, fn, "null result pointer");
    struct keyval *k = malloc(sizeof *k);
    if (!k) return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    *k = (struct keyval){MPI_KEYVAL_INVALID,
                         0,
                         1,
                         copy ? copy : ferry_mpi_comm_null_copy_fn,
                         del ? del : ferry_mpi_comm_null_delete_fn,
                         extra};
    if (htab_add(&mpi_s.keyvals, k, &k->handle)) {
        free(k);
        return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    k->id = k->handle;
    *keyval = k->handle;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_create_keyval = PMPI_Comm_create_keyval
FERRY_API int PMPI_Comm_create_keyval(MPI_Comm_copy_attr_function *copy,
                                      MPI_Comm_delete_attr_function *del, int *keyval, void *extra)
{
    LOCKED();
    return create_keyval(copy, del, keyval, extra, "MPI_Comm_create_keyval");
}

#pragma weak MPI_Keyval_create = PMPI_Keyval_create
FERRY_API int PMPI_Keyval_create(MPI_Copy_function *copy, MPI_Delete_function *del, int *keyval,
                                 void *extra)
{
    LOCKED();
    return create_keyval(copy, del, keyval, extra, "MPI_Keyval_create");
}

static int user_keyval(int keyval, const char *fn, struct keyval **out)
{
    struct keyval *k = htab_get(&mpi_s.keyvals, keyval);
    if (!k) {
        int predefined =
            H_IS_KIND(keyval, HK_KEYVAL) && H_INDEX(keyval) > 0 && H_INDEX(keyval) < NPREDEFINED;
        return mpi_err(NULL, MPI_ERR_KEYVAL, fn, "%s attribute key %#x",
                       predefined ? "cannot change the predefined" : "invalid", (unsigned)keyval);
    }
    *out = k;
    return MPI_SUCCESS;
}

static int free_keyval(int *keyval, const char *fn)
{
    MPI_CHECK_INIT(fn);
    if (!keyval) return mpi_err(NULL, MPI_ERR_ARG, fn, "null keyval pointer");
    struct keyval *k;
    int rc = user_keyval(*keyval, fn, &k);
    if (rc) return rc;
    /* Attributes set with it keep it alive; the handle goes now. */
    htab_del(&mpi_s.keyvals, k->handle);
    k->handle = MPI_KEYVAL_INVALID;
    kv_unref(k);
    *keyval = MPI_KEYVAL_INVALID;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_free_keyval = PMPI_Comm_free_keyval
FERRY_API int PMPI_Comm_free_keyval(int *keyval)
{
    LOCKED();
    return free_keyval(keyval, "MPI_Comm_free_keyval");
}

#pragma weak MPI_Keyval_free = PMPI_Keyval_free
FERRY_API int PMPI_Keyval_free(int *keyval)
{
    LOCKED();
    return free_keyval(keyval, "MPI_Keyval_free");
}

static struct attr **find(struct mpi_comm *c, struct keyval *k)
{
    struct attr **p = &c->attrs;
    while (*p && (*p)->kv != k) p = &(*p)->next;
    return p;
}

/* Run the delete callback and unlink; the callback may refuse. */
static int delete_one(struct mpi_comm *c, struct attr **p)
{
    struct attr *a = *p;
    int rc = a->kv->del(c->handle, a->kv->id, a->val, a->kv->extra);
    if (rc) return rc;
    *p = a->next;
    kv_unref(a->kv);
    free(a);
    return MPI_SUCCESS;
}

static int set_attr(struct mpi_comm *c, struct keyval *k, void *val)
{
    struct attr **p = find(c, k);
    if (*p) {
        int rc = k->del(c->handle, k->id, (*p)->val, k->extra);
        if (rc) return rc;
        (*p)->val = val;
        return MPI_SUCCESS;
    }
    struct attr *a = malloc(sizeof *a);
    if (!a) return MPI_ERR_NO_MEM;
    *a = (struct attr){NULL, k, val};
    k->refs++;
    *p = a; /* appended: attributes are copied in the order they were set */
    return MPI_SUCCESS;
}

static int comm_set(MPI_Comm comm, int keyval, void *val, const char *fn)
{
    struct mpi_comm *c;
    struct keyval *k;
    int rc = check_comm(comm, fn, &c);
    if (rc || (rc = user_keyval(keyval, fn, &k))) return rc;
    if ((rc = set_attr(c, k, val)))
        return mpi_err(c, rc, fn, "%s",
                       rc == MPI_ERR_NO_MEM ? "out of memory" : "the delete callback failed");
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_set_attr = PMPI_Comm_set_attr
FERRY_API int PMPI_Comm_set_attr(MPI_Comm comm, int keyval, void *val)
{
    LOCKED();
    return comm_set(comm, keyval, val, "MPI_Comm_set_attr");
}

#pragma weak MPI_Attr_put = PMPI_Attr_put
FERRY_API int PMPI_Attr_put(MPI_Comm comm, int keyval, void *val)
{
    LOCKED();
    return comm_set(comm, keyval, val, "MPI_Attr_put");
}

/* The values behind the predefined keys (pointers to them are returned). */
static int tag_ub = MPI_TAG_MAX, host = MPI_PROC_NULL, io = MPI_ANY_SOURCE, wtime_global = 0,
           universe, lastcode = MPI_ERR_LASTCODE, appnum = 0;

static int get_attr(MPI_Comm comm, int keyval, void *val, int *flag, const char *fn)
{
    struct mpi_comm *c;
    int rc = check_comm(comm, fn, &c);
    if (rc) return rc;
    if (!val || !flag) return mpi_err(c, MPI_ERR_ARG, fn, "null result pointer");
    int *pre = NULL;
    switch (keyval) {
    case MPI_TAG_UB:
        pre = &tag_ub;
        break;
    case MPI_HOST:
        pre = &host;
        break;
    case MPI_IO:
        pre = &io;
        break;
    case MPI_WTIME_IS_GLOBAL:
        pre = &wtime_global;
        break;
    case MPI_UNIVERSE_SIZE:
        universe = mpi_s.wsize;
        pre = &universe;
        break;
    case MPI_LASTUSEDCODE:
        pre = &lastcode;
        break;
    case MPI_APPNUM:
        pre = &appnum;
        break;
    }
    if (pre) {
        *(int **)val = pre;
        *flag = 1;
        return MPI_SUCCESS;
    }
    struct keyval *k;
    if ((rc = user_keyval(keyval, fn, &k))) return rc;
    struct attr *a = *find(c, k);
    *flag = a != NULL;
    if (a) *(void **)val = a->val;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_get_attr = PMPI_Comm_get_attr
FERRY_API int PMPI_Comm_get_attr(MPI_Comm comm, int keyval, void *val, int *flag)
{
    LOCKED();
    return get_attr(comm, keyval, val, flag, "MPI_Comm_get_attr");
}

#pragma weak MPI_Attr_get = PMPI_Attr_get
FERRY_API int PMPI_Attr_get(MPI_Comm comm, int keyval, void *val, int *flag)
{
    LOCKED();
    return get_attr(comm, keyval, val, flag, "MPI_Attr_get");
}

static int comm_delete(MPI_Comm comm, int keyval, const char *fn)
{
    struct mpi_comm *c;
    struct keyval *k;
    int rc = check_comm(comm, fn, &c);
    if (rc || (rc = user_keyval(keyval, fn, &k))) return rc;
    struct attr **p = find(c, k);
    if (!*p) return mpi_err(c, MPI_ERR_KEYVAL, fn, "no attribute with key %#x", (unsigned)keyval);
    if ((rc = delete_one(c, p))) return mpi_err(c, rc, fn, "the delete callback failed");
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_delete_attr = PMPI_Comm_delete_attr
FERRY_API int PMPI_Comm_delete_attr(MPI_Comm comm, int keyval)
{
    LOCKED();
    return comm_delete(comm, keyval, "MPI_Comm_delete_attr");
}

#pragma weak MPI_Attr_delete = PMPI_Attr_delete
FERRY_API int PMPI_Attr_delete(MPI_Comm comm, int keyval)
{
    LOCKED();
    return comm_delete(comm, keyval, "MPI_Attr_delete");
}

int attrs_copy(struct mpi_comm *c, struct mpi_comm *n)
{
    for (struct attr *a = c->attrs; a; a = a->next) {
        void *out = NULL;
        int flag = 0;
        int rc = a->kv->copy(c->handle, a->kv->id, a->kv->extra, a->val, &out, &flag);
        if (rc) return rc;
        if (flag && (rc = set_attr(n, a->kv, out))) return rc;
    }
    return MPI_SUCCESS;
}

int attrs_delete_all(struct mpi_comm *c)
{
    while (c->attrs) {
        int rc = delete_one(c, &c->attrs);
        if (rc) return rc;
    }
    return MPI_SUCCESS;
}

void attrs_drop(struct mpi_comm *c)
{
    while (c->attrs) {
        struct attr *a = c->attrs;
        c->attrs = a->next;
        kv_unref(a->kv);
        free(a);
    }
}
