/* Which libfabric providers FERRY_OFI_PROVIDER allows, in the syntax of
 * FI_PROVIDER: a comma-separated list of names, or "^" and a list of names
 * to exclude. A name matches a provider whose full name it is
 * ("tcp;ofi_rxm") or one of whose layers it names ("tcp"). Pure. */
#ifndef FERRY_OFI_FILTER_H
#define FERRY_OFI_FILTER_H

/* 2: the list names this provider exactly; 1: it names one of its layers,
 * or the list excludes and does not name it (or there is no list); 0: not
 * allowed. A NULL or empty spec allows everything (1). */
int ofi_filter_match(const char *spec, const char *prov_name);

#endif
