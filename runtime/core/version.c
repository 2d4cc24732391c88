/* libferry's only own object: the library is libferrycore with its public
 * symbols exported. */
#include "include/ferry.h"
#include "runtime/core/api.h"

FERRY_API const char *ferry_version(void)
{
    return PACKAGE_VERSION;
}
