#ifndef C_FILEGATE_MALLOC_H
#define C_FILEGATE_MALLOC_H

/// glibc's malloc tuning, which Swift's Glibc module does not export (<malloc.h>).
/// Limits the number of malloc arenas; returns mallopt's result (1 on success).
int fg_malloc_limit_arenas(int count);

#endif
