#ifndef C_FILEGATE_SYSTEM_H
#define C_FILEGATE_SYSTEM_H

/// glibc calls filegate needs that Swift's Glibc module does not export (<malloc.h>, GNU <sched.h> and <string.h>).

#include <stddef.h>

/// The first occurrence of `needle` in `haystack` (glibc's `memmem`, a GNU extension), or NULL.
const void *fg_memmem(const void *haystack, size_t haystackLength, const void *needle, size_t needleLength);

/// Limits the number of malloc arenas; returns mallopt's result (1 on success).
int fg_malloc_limit_arenas(int count);

/// Serves allocations below `mmapThreshold` bytes from the heap instead of mmap, and gives freed heap memory back
/// to the kernel only once more than `trimThreshold` bytes are free at its top; 1 on success.
int fg_malloc_keep_buffers(int mmapThreshold, int trimThreshold);

/// Returns the free pages of every malloc arena to the kernel (`malloc_trim(0)`); 1 when some memory was released.
int fg_malloc_trim(void);

/// The number of CPUs in this process's affinity mask, or 0 when it cannot be read.
int fg_affinity_cpu_count(void);

#endif
