#include "CFilegateMalloc.h"
#include <malloc.h>

int fg_malloc_limit_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

int fg_malloc_keep_buffers(int mmapThreshold, int trimThreshold) {
    return mallopt(M_MMAP_THRESHOLD, mmapThreshold) && mallopt(M_TRIM_THRESHOLD, trimThreshold);
}
