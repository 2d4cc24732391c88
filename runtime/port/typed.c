/* Typed message bodies: a list of items, each tagged with its type and
 * element count, so that a reader on a host of the other byte order gets
 * native values.
 *
 * Wire format. Offsets are from the start of the body; multi-byte fields are
 * in the writer's byte order, which the header names.
 *
 *   header, 8 bytes
 *     0  4  magic "FTYP"
 *     4  1  version (1)
 *     5  1  byte order of the writer: 1 little-endian, 2 big-endian
 *     6  2  zero
 *   then items, each at an offset that is a multiple of 8
 *     0  1  type tag (enum ferry_type)
 *     1  1  element size in bytes, which must be the tag's: 1 (8-bit
 *           integers, bytes), 2, 4, 8, 12 (port names), 16 (out-of-line
 *           descriptors)
 *     2  6  zero
 *     8  8  element count
 *    16     count * size bytes of data, then zero bytes up to a multiple of 8
 *
 * Integers and floats (IEEE 754 bits) are stored whole in the writer's byte
 * order; a port name is its three 32-bit fields (rank, index, gen), an
 * out-of-line descriptor its two 64-bit fields (handle, len). Item data
 * starts at a multiple of 8, so a reader whose buffer is 8-aligned and whose
 * byte order is the writer's can use it in place. The body ends right after
 * its last item; an empty list is the header alone.
 *
 * The element size is redundant with the tag; it is there so a reader can
 * reject a body whose writer disagrees about the type, as Mach's typed
 * items carry their size.
 *
 * Everything in a body is untrusted: a reader walks all item headers before
 * it hands out anything, so a bad body is refused whole and later calls
 * never see a malformed item.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/api.h"

#define HDR_SIZE      8
#define ITEM_HDR_SIZE 16
#define ITEM_ALIGN    8
#define WIRE_VERSION  1
#define ORDER_LITTLE  1
#define ORDER_BIG     2

static const unsigned char magic[4] = {'F', 'T', 'Y', 'P'};

/* The wire sizes are these types' sizes: values are copied, not repacked. */
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "floats must be IEEE 754 32/64-bit");
_Static_assert(sizeof(ferry_port_t) == 12, "ferry_port_t must be three packed uint32_t");
_Static_assert(sizeof(ferry_ool_t) == 16, "ferry_ool_t must be two packed uint64_t");

struct type_info {
    unsigned char size;  /* bytes per element */
    unsigned char unit;  /* bytes per byte-swapped field */
    unsigned char align; /* alignment of the C type, for in-place use */
};

static const struct type_info types[] = {
    [FERRY_TYPE_INT8] = {1, 1, 1},
    [FERRY_TYPE_UINT8] = {1, 1, 1},
    [FERRY_TYPE_INT16] = {2, 2, _Alignof(int16_t)},
    [FERRY_TYPE_UINT16] = {2, 2, _Alignof(uint16_t)},
    [FERRY_TYPE_INT32] = {4, 4, _Alignof(int32_t)},
    [FERRY_TYPE_UINT32] = {4, 4, _Alignof(uint32_t)},
    [FERRY_TYPE_INT64] = {8, 8, _Alignof(int64_t)},
    [FERRY_TYPE_UINT64] = {8, 8, _Alignof(uint64_t)},
    [FERRY_TYPE_FLOAT32] = {4, 4, _Alignof(float)},
    [FERRY_TYPE_FLOAT64] = {8, 8, _Alignof(double)},
    [FERRY_TYPE_BYTES] = {1, 1, 1},
    [FERRY_TYPE_PORT] = {12, 4, _Alignof(ferry_port_t)},
    [FERRY_TYPE_OOL] = {16, 8, _Alignof(ferry_ool_t)},
};
#define NTYPES (sizeof types / sizeof types[0])

/* The entry for tag t, or NULL for anything that is not a type. */
static const struct type_info *type_info(unsigned t)
{
    return t < NTYPES && types[t].size ? &types[t] : NULL;
}

static unsigned char host_order(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first ? ORDER_LITTLE : ORDER_BIG;
}

static uint16_t bswap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

static uint32_t bswap32(uint32_t v)
{
    return (v << 24) | ((v << 8) & 0x00ff0000u) | ((v >> 8) & 0x0000ff00u) | (v >> 24);
}

static uint64_t bswap64(uint64_t v)
{
    return (uint64_t)bswap32((uint32_t)v) << 32 | bswap32((uint32_t)(v >> 32));
}

/* Reverses each of the n fields of unit bytes at p, in place. p need not be
 * aligned: the writer's buffer and a reader's output are the caller's. */
static void swap_fields(unsigned char *p, size_t n, unsigned unit)
{
    switch (unit) {
    case 2:
        for (size_t i = 0; i < n; i++, p += 2) {
            uint16_t v;
            memcpy(&v, p, 2);
            v = bswap16(v);
            memcpy(p, &v, 2);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++, p += 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            v = bswap32(v);
            memcpy(p, &v, 4);
        }
        break;
    case 8:
        for (size_t i = 0; i < n; i++, p += 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            v = bswap64(v);
            memcpy(p, &v, 8);
        }
        break;
    }
}

static size_t pad_of(size_t data)
{
    return (ITEM_ALIGN - data % ITEM_ALIGN) % ITEM_ALIGN;
}

FERRY_API int ferry_typed_writer_init(ferry_typed_writer_t *w, void *buf, size_t cap)
{
    if (!w) return FERRY_ERR_INVALID;
    const char *force = getenv("FERRY_TYPED_FORCE_SWAP");
    w->buf = buf;
    w->cap = cap;
    w->len = 0; /* until the header is written: puts fail */
    w->swap = force && strcmp(force, "1") == 0;
    if (!buf && cap) return FERRY_ERR_INVALID;
    if (!buf) {
        w->len = HDR_SIZE; /* measuring only */
        return FERRY_OK;
    }
    if (cap < HDR_SIZE) return FERRY_ERR_NOMEM;
    unsigned char *h = buf;
    memcpy(h, magic, 4);
    h[4] = WIRE_VERSION;
    h[5] = host_order();
    if (w->swap) h[5] = h[5] == ORDER_LITTLE ? ORDER_BIG : ORDER_LITTLE;
    h[6] = h[7] = 0;
    w->len = HDR_SIZE;
    return FERRY_OK;
}

FERRY_API int ferry_typed_put(ferry_typed_writer_t *w, enum ferry_type t, const void *values,
                              size_t count)
{
    const struct type_info *ti = type_info((unsigned)t);
    if (!w || w->len < HDR_SIZE || !ti || (count && !values)) return FERRY_ERR_INVALID;
    /* An item so large that its size overflows fits no buffer. */
    if (count > (SIZE_MAX - ITEM_HDR_SIZE - ITEM_ALIGN) / ti->size) return FERRY_ERR_NOMEM;
    size_t data = count * ti->size, pad = pad_of(data), need = ITEM_HDR_SIZE + data + pad;
    if (need > SIZE_MAX - w->len) return FERRY_ERR_NOMEM;
    if (w->buf) {
        if (need > w->cap - w->len) return FERRY_ERR_NOMEM;
        unsigned char *p = w->buf + w->len;
        uint64_t n = count;
        if (w->swap) n = bswap64(n);
        memset(p, 0, ITEM_HDR_SIZE);
        p[0] = (unsigned char)t;
        p[1] = ti->size;
        memcpy(p + 8, &n, 8);
        if (data) memcpy(p + ITEM_HDR_SIZE, values, data);
        if (w->swap) swap_fields(p + ITEM_HDR_SIZE, data / ti->unit, ti->unit);
        memset(p + ITEM_HDR_SIZE + data, 0, pad);
    }
    w->len += need;
    return FERRY_OK;
}

FERRY_API size_t ferry_typed_size(const ferry_typed_writer_t *w)
{
    return w ? w->len : 0;
}

/* An item header, decoded and checked against the body's bounds. */
struct item {
    enum ferry_type type;
    size_t count;
    size_t data; /* offset of the data */
    size_t next; /* offset of the next item */
};

/* Decodes the item at offset pos of a body of len bytes. FERRY_ERR_NOT_FOUND
 * at the end of the body, FERRY_ERR_PEER for anything malformed. Every
 * bound is checked by subtraction from what is left, so no sum can wrap. */
static int item_at(const unsigned char *b, size_t len, size_t pos, int swap, struct item *it)
{
    if (pos == len) return FERRY_ERR_NOT_FOUND;
    if (pos > len || len - pos < ITEM_HDR_SIZE) return FERRY_ERR_PEER;
    const unsigned char *p = b + pos;
    const struct type_info *ti = type_info(p[0]);
    if (!ti || p[1] != ti->size) return FERRY_ERR_PEER;
    for (int i = 2; i < 8; i++)
        if (p[i]) return FERRY_ERR_PEER;
    uint64_t count;
    memcpy(&count, p + 8, 8);
    if (swap) count = bswap64(count);
    size_t left = len - pos - ITEM_HDR_SIZE;
    if (count > left / ti->size) return FERRY_ERR_PEER;
    size_t data = (size_t)count * ti->size, pad = pad_of(data);
    if (pad > left - data) return FERRY_ERR_PEER;
    for (size_t i = 0; i < pad; i++)
        if (p[ITEM_HDR_SIZE + data + i]) return FERRY_ERR_PEER;
    it->type = (enum ferry_type)p[0];
    it->count = (size_t)count;
    it->data = pos + ITEM_HDR_SIZE;
    it->next = pos + ITEM_HDR_SIZE + data + pad;
    return FERRY_OK;
}

FERRY_API int ferry_typed_reader_init(ferry_typed_reader_t *r, const void *buf, size_t len)
{
    if (!r || (!buf && len)) return FERRY_ERR_INVALID;
    /* Until the body checks out the reader reads nothing. */
    r->buf = NULL;
    r->len = r->pos = 0;
    r->swap = 0;
    const unsigned char *b = buf;
    if (len < HDR_SIZE || memcmp(b, magic, 4) != 0 || b[4] != WIRE_VERSION ||
        (b[5] != ORDER_LITTLE && b[5] != ORDER_BIG) || b[6] || b[7])
        return FERRY_ERR_PEER;
    int swap = b[5] != host_order();
    struct item it;
    size_t pos = HDR_SIZE;
    int rc;
    while ((rc = item_at(b, len, pos, swap, &it)) == FERRY_OK) pos = it.next;
    if (rc != FERRY_ERR_NOT_FOUND) return rc;
    r->buf = b;
    r->len = len;
    r->pos = HDR_SIZE;
    r->swap = swap;
    return FERRY_OK;
}

FERRY_API int ferry_typed_swapped(const ferry_typed_reader_t *r)
{
    if (!r || !r->buf) return FERRY_ERR_INVALID;
    return r->swap;
}

/* The reader's next item. */
static int next_item(const ferry_typed_reader_t *r, struct item *it)
{
    if (!r || !r->buf) return FERRY_ERR_INVALID;
    return item_at(r->buf, r->len, r->pos, r->swap, it);
}

FERRY_API int ferry_typed_peek(const ferry_typed_reader_t *r, enum ferry_type *t, size_t *count)
{
    struct item it;
    int rc = next_item(r, &it);
    if (rc != FERRY_OK) return rc;
    if (t) *t = it.type;
    if (count) *count = it.count;
    return FERRY_OK;
}

FERRY_API int ferry_typed_get(ferry_typed_reader_t *r, enum ferry_type t, void *out, size_t count)
{
    struct item it;
    int rc = next_item(r, &it);
    if (rc != FERRY_OK) return rc;
    if (it.type != t || it.count != count || (count && !out)) return FERRY_ERR_INVALID;
    const struct type_info *ti = type_info((unsigned)t);
    size_t data = count * ti->size;
    if (data) memcpy(out, r->buf + it.data, data);
    if (r->swap) swap_fields(out, data / ti->unit, ti->unit);
    r->pos = it.next;
    return FERRY_OK;
}

FERRY_API int ferry_typed_get_ref(ferry_typed_reader_t *r, enum ferry_type t, const void **data,
                                  size_t *count)
{
    struct item it;
    int rc = next_item(r, &it);
    if (rc != FERRY_OK) return rc;
    if (it.type != t || !data) return FERRY_ERR_INVALID;
    const struct type_info *ti = type_info((unsigned)t);
    const unsigned char *p = r->buf + it.data;
    if ((r->swap && ti->unit > 1) || (uintptr_t)p % ti->align) return FERRY_ERR_INVALID;
    *data = p;
    if (count) *count = it.count;
    r->pos = it.next;
    return FERRY_OK;
}

FERRY_API int ferry_typed_skip(ferry_typed_reader_t *r)
{
    struct item it;
    int rc = next_item(r, &it);
    if (rc != FERRY_OK) return rc;
    r->pos = it.next;
    return FERRY_OK;
}
