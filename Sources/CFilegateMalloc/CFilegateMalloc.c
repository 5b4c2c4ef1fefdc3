#include "CFilegateMalloc.h"
#include <malloc.h>

int fg_malloc_limit_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}
