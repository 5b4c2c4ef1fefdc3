// make bench-micro: the copy out of curl's write callback, 1 GiB in 16 KiB pieces from one 512 KiB buffer (curl's)
// into 512 KiB batches (filegate's), by glibc's memcpy and by filegate's fg_copy_bytes (Sources/CFilegateCurl), for
// destinations 0 to 63 bytes past the source modulo 4 KiB. Prints, per copy, the best and the worst distance in CPU
// seconds per GiB, and the distances where memcpy took over twice its best.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CFilegateCurl.h"

enum { piece = 16 * 1024, batch = 512 * 1024, batches = 4, gib = 1 << 30 };

static double cpu_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void system_memcpy(void *restrict destination, const void *restrict source, size_t count) {
    memcpy(destination, source, count);
}

// CPU seconds for 1 GiB of pieces, the destination `distance` bytes past the source modulo 4 KiB.
static double seconds_per_gib(void (*copy)(void *restrict, const void *restrict, size_t), const unsigned char *source,
                              unsigned char *targets, size_t distance) {
    double start = cpu_seconds();
    size_t copied = 0;
    for (int round = 0; copied < gib; round = (round + 1) % batches) {
        unsigned char *target = targets + (size_t)round * (batch + 4096) + distance;
        for (size_t offset = 0; offset < batch && copied < gib; offset += piece, copied += piece) {
            copy(target + offset, source + offset, piece);
        }
    }
    return cpu_seconds() - start;
}

int main(void) {
    unsigned char *source = aligned_alloc(4096, batch);
    unsigned char *targets = aligned_alloc(4096, batches * (batch + 4096));
    if (source == NULL || targets == NULL) return 1;
    memset(source, 1, batch);
    memset(targets, 2, batches * (batch + 4096));
    const char *names[] = {"memcpy (glibc)", "fg_copy_bytes"};
    void (*copies[])(void *restrict, const void *restrict, size_t) = {system_memcpy, fg_copy_bytes};
    printf("the copy out of curl's write callback, 1 GiB in 16 KiB pieces, destination 0-63 bytes past the source "
           "modulo 4 KiB (bench/curl_copy.c)\n");
    for (int which = 0; which < 2; which++) {
        double seconds[64], best = 1e9, worst = 0;
        for (size_t distance = 0; distance < 64; distance++) {
            seconds[distance] = seconds_per_gib(copies[which], source, targets, distance);
            if (seconds[distance] < best) best = seconds[distance];
            if (seconds[distance] > worst) worst = seconds[distance];
        }
        int slow = 0;
        for (size_t distance = 0; distance < 64; distance++) slow += seconds[distance] > 2 * best;
        printf("  %-16s best %.3f, worst %.3f CPU s/GiB; %d of 64 distances over twice the best\n", names[which], best,
               worst, slow);
    }
    return 0;
}
