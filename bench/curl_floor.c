// make bench-proxy's libcurl floor: what libcurl alone costs for the upstream half of a small GET.
//
// The same request filegate forwards (GET /v1/files/file-bench, HTTP/1.1, a Bearer header, empty Expect: and
// Accept:), CONNECTIONS transfers always in flight on one multi handle, on keep-alive connections, bodies
// discarded. Nothing else: no client side, no parsing, no translation. Whatever filegate does besides, it cannot
// go faster than this on the same CPU. Prints "requests/s cpu_us_per_request" for the transfers after a warm-up.
//
// usage: curl_floor URL KEY REQUESTS reuse|fresh [perform|socket]   (KEY: the upstream's, as Authorization: Bearer)
//   reuse    one easy handle per slot, added again after each transfer (curl keeps its buffers)
//   fresh    a new easy handle per transfer
//   perform  curl_multi_perform and curl_multi_poll: curl watches its sockets itself (the default)
//   socket   what filegate's curl thread does (DESIGN.md, STYLE.md): curl_multi_socket_action driven by curl's socket
//            and timer callbacks through an epoll set, a socket added to the set when curl asks to watch it and
//            left there, parked, when curl says CURL_POLL_REMOVE (taken out once it reports an event while parked)
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/// The socket mode's epoll set and curl's one deadline (-1: none), as filegate's `CurlReactor` keeps them.
static int epoll_fd = -1;
static long curl_timeout_ms = -1;
/// Per descriptor: in the epoll set, and parked (in the set, but curl said CURL_POLL_REMOVE), as `CurlReactor`'s
/// watchedSockets and parkedSockets.
static unsigned char in_set[65536];
static unsigned char parked[65536];

static int socket_changed(CURL *easy, curl_socket_t socket, int what, void *context, void *socket_context) {
    (void)easy;
    (void)context;
    (void)socket_context;
    if (socket < 0 || socket >= 65536) return -1;
    if (what == CURL_POLL_REMOVE) {
        // Left in the set: taking it back is one EPOLL_CTL_MOD.
        if (in_set[socket]) parked[socket] = 1;
        return 0;
    }
    struct epoll_event event = {0};
    event.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    event.data.fd = socket;
    int result = epoll_ctl(epoll_fd, in_set[socket] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event);
    // A parked entry that went with a closed socket: the descriptor is a new socket.
    if (result != 0 && in_set[socket]) epoll_ctl(epoll_fd, EPOLL_CTL_ADD, socket, &event);
    in_set[socket] = 1;
    parked[socket] = 0;
    return 0;
}

static int timer_changed(CURLM *multi, long timeout_ms, void *context) {
    (void)multi;
    (void)context;
    curl_timeout_ms = timeout_ms;
    return 0;
}

/// One round of the socket mode: wait for curl's sockets or its deadline, then let curl act on what happened.
static void socket_round(CURLM *multi) {
    int running;
    if (curl_timeout_ms == 0) {
        curl_timeout_ms = -1;
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        return;
    }
    struct epoll_event events[64];
    int count = epoll_wait(epoll_fd, events, 64, curl_timeout_ms < 0 ? 1000 : (int)curl_timeout_ms);
    if (count == 0) {
        curl_timeout_ms = -1;
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    for (int index = 0; index < count; index++) {
        int descriptor = events[index].data.fd;
        if (parked[descriptor]) {
            // An idle connection's peer closed it: out of the set, curl finds out when it reuses the connection.
            epoll_ctl(epoll_fd, EPOLL_CTL_DEL, descriptor, NULL);
            in_set[descriptor] = parked[descriptor] = 0;
            continue;
        }
        int bits = (events[index].events & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0)
                   | (events[index].events & EPOLLOUT ? CURL_CSELECT_OUT : 0)
                   | (events[index].events & EPOLLERR ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi, descriptor, bits, &running);
    }
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
    if (argc < 5 || argc > 6 || (strcmp(argv[4], "reuse") != 0 && strcmp(argv[4], "fresh") != 0)
        || (argc == 6 && strcmp(argv[5], "perform") != 0 && strcmp(argv[5], "socket") != 0)) {
        fprintf(stderr, "usage: curl_floor URL KEY REQUESTS reuse|fresh [perform|socket]\n");
        return 2;
    }
    int socket_mode = argc == 6 && strcmp(argv[5], "socket") == 0;
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
    if (socket_mode) {
        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_changed);
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, multi);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_changed);
    }
    for (int slot = 0; slot < CONNECTIONS; slot++) {
        curl_multi_add_handle(multi, make_handle(url, headers));
    }
    long total = WARMUP + requests, started = CONNECTIONS, done = 0;
    double cpu_start = 0, wall_start = 0;
    while (done < total) {
        int running, queued;
        if (socket_mode) {
            socket_round(multi);
        } else {
            curl_multi_perform(multi, &running);
        }
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
        if (!socket_mode) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double seconds = wall_seconds() - wall_start;
    printf("%.0f %.1f\n", requests / seconds, (cpu_microseconds() - cpu_start) / requests);
    return 0;
}
