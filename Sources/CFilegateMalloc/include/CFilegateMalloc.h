#ifndef C_FILEGATE_MALLOC_H
#define C_FILEGATE_MALLOC_H

/// glibc's malloc tuning, which Swift's Glibc module does not export (<malloc.h>).
/// Limits the number of malloc arenas; returns mallopt's result (1 on success).
int fg_malloc_limit_arenas(int count);

/// Serves allocations below `mmapThreshold` bytes from the heap instead of mmap, and gives freed heap memory back
/// to the kernel only once more than `trimThreshold` bytes are free at its top; 1 on success.
int fg_malloc_keep_buffers(int mmapThreshold, int trimThreshold);

#endif
