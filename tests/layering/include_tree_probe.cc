// Never compiles, on purpose: its target links only xks_base, so the include tree of proxy/api
// is not among its include directories (cmake/XksIncludeTrees.cmake). The test
// include_trees_refuse_an_unlinked_header builds it and expects the compiler's refusal.
#include "base/result.h"
#include "proxy/api/wire.h"
