// make bench-proxy's libcurl floor: what libcurl alone costs for the upstream half of a small GET.
//
// The same request filegate forwards (GET /v1/files/file-bench, HTTP/1.1, a Bearer header, empty Expect: and
// Accept:), CONNECTIONS transfers always in flight on one multi handle, on keep-alive connections, bodies
// discarded. Nothing else: no client side, no parsing, no translation. Whatever filegate does besides, it cannot
// go faster than this on the same CPU. Prints "requests/s cpu_us_per_request" for the transfers after a warm-up.
//
// usage: curl_floor URL KEY REQUESTS reuse|fresh   (KEY: the upstream's, sent as Authorization: Bearer KEY)
//   reuse  one easy handle per slot, added again after each transfer (curl keeps its buffers)
//   fresh  a new easy handle per transfer, as filegate makes one today
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { CONNECTIONS = 64, WARMUP = 2000 };

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

static CURL *make_handle(const char *url, struct curl_slist *headers) {
    CURL *easy = curl_easy_init();
    if (!easy) {
        fprintf(stderr, "curl_floor: curl_easy_init failed\n");
        exit(1);
    }
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, discard);
    return easy;
}

static double cpu_microseconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static double wall_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[4], "reuse") != 0 && strcmp(argv[4], "fresh") != 0)) {
        fprintf(stderr, "usage: curl_floor URL KEY REQUESTS reuse|fresh\n");
        return 2;
    }
    const char *url = argv[1];
    long requests = atol(argv[3]);
    int reuse = strcmp(argv[4], "reuse") == 0;
    curl_global_init(CURL_GLOBAL_ALL);
    char authorization[512];
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", argv[2]);
    struct curl_slist *headers = curl_slist_append(NULL, authorization);
    headers = curl_slist_append(headers, "Expect:");
    headers = curl_slist_append(headers, "Accept:");
    CURLM *multi = curl_multi_init();
    for (int slot = 0; slot < CONNECTIONS; slot++) {
        curl_multi_add_handle(multi, make_handle(url, headers));
    }
    long total = WARMUP + requests, started = CONNECTIONS, done = 0;
    double cpu_start = 0, wall_start = 0;
    while (done < total) {
        int running, queued;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        while ((message = curl_multi_info_read(multi, &queued))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (message->data.result != CURLE_OK || status != 200) {
                fprintf(stderr, "curl_floor: transfer failed: %s, status %ld\n",
                        curl_easy_strerror(message->data.result), status);
                return 1;
            }
            curl_multi_remove_handle(multi, easy);
            if (++done == WARMUP) {
                cpu_start = cpu_microseconds();
                wall_start = wall_seconds();
            }
            if (started < total) {
                if (!reuse) {
                    curl_easy_cleanup(easy);
                    easy = make_handle(url, headers);
                }
                curl_multi_add_handle(multi, easy);
                started++;
            }
        }
        curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double seconds = wall_seconds() - wall_start;
    printf("%.0f %.1f\n", requests / seconds, (cpu_microseconds() - cpu_start) / requests);
    return 0;
}
