#define _GNU_SOURCE
#include "CFilegateSystem.h"
#include <malloc.h>
#include <sched.h>
#include <string.h>

const void *fg_memmem(const void *haystack, size_t haystackLength, const void *needle, size_t needleLength) {
    return memmem(haystack, haystackLength, needle, needleLength);
}

int fg_malloc_limit_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

int fg_malloc_keep_buffers(int mmapThreshold, int trimThreshold) {
    return mallopt(M_MMAP_THRESHOLD, mmapThreshold) && mallopt(M_TRIM_THRESHOLD, trimThreshold);
}

int fg_malloc_trim(void) {
    return malloc_trim(0);
}

int fg_affinity_cpu_count(void) {
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) != 0) {
        return 0;
    }
    return CPU_COUNT(&mask);
}
