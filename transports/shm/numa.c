#include <hwloc.h>

#include "transports/shm/numa.h"

static struct {
    hwloc_topology_t topo;
    hwloc_nodeset_t node; /* this rank's node, or NULL */
} nm;

void shm_numa_init(void)
{
    /* Only NUMA nodes are needed: loading the rest of the topology costs
     * every rank milliseconds. */
    if (hwloc_topology_init(&nm.topo) != 0) return;
    hwloc_topology_set_all_types_filter(nm.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
    hwloc_topology_set_type_filter(nm.topo, HWLOC_OBJ_NUMANODE, HWLOC_TYPE_FILTER_KEEP_ALL);
    hwloc_cpuset_t cpus = hwloc_bitmap_alloc();
    hwloc_nodeset_t nodes = hwloc_bitmap_alloc();
    if (hwloc_topology_load(nm.topo) == 0 && cpus && nodes &&
        hwloc_topology_get_support(nm.topo)->membind->set_area_membind &&
        hwloc_get_cpubind(nm.topo, cpus, HWLOC_CPUBIND_PROCESS) == 0) {
        hwloc_cpuset_to_nodeset(nm.topo, cpus, nodes);
        if (hwloc_bitmap_weight(nodes) == 1) {
            nm.node = nodes;
            nodes = NULL;
        }
    }
    hwloc_bitmap_free(cpus);
    hwloc_bitmap_free(nodes);
    if (!nm.node) shm_numa_fini();
}

void shm_numa_place(void *addr, size_t len)
{
    /* Best effort: a refusal leaves the pages to first touch. */
    if (nm.node)
        hwloc_set_area_membind(nm.topo, addr, len, nm.node, HWLOC_MEMBIND_BIND,
                               HWLOC_MEMBIND_BYNODESET);
}

void shm_numa_fini(void)
{
    hwloc_bitmap_free(nm.node);
    if (nm.topo) hwloc_topology_destroy(nm.topo);
    nm.node = NULL;
    nm.topo = NULL;
}
