// What Swift cannot import from libcurl and Glibc: one typed function per argument kind of curl's variadic
// calls, the values of macros Swift does not import, the epoll/eventfd/timerfd headers Glibc's module
// does not export (STYLE.md §5), naming the curl thread (a GNU extension), and the copy into and out of
// curl's buffers. Prefixed `fg_`.
#ifndef CFILEGATECURL_H
#define CFILEGATECURL_H

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

// curl_easy_setopt, one function per argument kind.
CURLcode fg_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode fg_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode fg_curl_easy_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode fg_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode fg_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode fg_curl_easy_setopt_share(CURL *handle, CURLSH *share);
// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION share one signature.
CURLcode fg_curl_easy_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback);
CURLcode fg_curl_easy_setopt_read_function(CURL *handle, curl_read_callback callback);
CURLcode fg_curl_easy_setopt_prereq_function(CURL *handle, curl_prereq_callback callback);

// curl_easy_getinfo, one function per result kind.
CURLcode fg_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode fg_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode fg_curl_easy_getinfo_ptr(CURL *handle, CURLINFO info, void **value);

// curl_multi_setopt and curl_share_setopt.
CURLMcode fg_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value);
CURLMcode fg_curl_multi_setopt_ptr(CURLM *handle, CURLMoption option, void *value);
CURLMcode fg_curl_multi_setopt_socket_function(CURLM *handle, curl_socket_callback callback);
CURLMcode fg_curl_multi_setopt_timer_function(CURLM *handle, curl_multi_timer_callback callback);
CURLSHcode fg_curl_share_setopt_long(CURLSH *handle, CURLSHoption option, long value);

// The result of a CURLMSG_DONE message (a member of a union).
CURLcode fg_curl_msg_result(const CURLMsg *message);

// Names the calling thread (pthread_setname_np: at most 15 bytes); 0 or an errno value.
int fg_name_current_thread(const char *name);

// Copies `count` bytes between curl's buffers and filegate's (they never overlap), as memcpy does but never
// with `rep movsb`. glibc's memcpy moves 4 KiB and more with `rep movsb`, which on this project's AMD EPYC
// machines ran at 1.9 GB/s instead of 30 when the destination lay 1 to 31 bytes past the source modulo 4 KiB:
// in a filegate that had run a while, curl's buffer and a download batch lay so for most of a download's
// 16 KiB pieces (0.15-0.25 s more CPU per GiB). A plain SSE2 loop has no such case and is as fast as memcpy's best.
void fg_copy_bytes(void *restrict destination, const void *restrict source, size_t count);

// Macro values.
static const size_t fg_CURL_WRITEFUNC_PAUSE = CURL_WRITEFUNC_PAUSE;
static const size_t fg_CURL_READFUNC_PAUSE = CURL_READFUNC_PAUSE;
static const size_t fg_CURL_READFUNC_ABORT = CURL_READFUNC_ABORT;
static const int fg_CURLPAUSE_RECV = CURLPAUSE_RECV;
static const int fg_CURLPAUSE_SEND = CURLPAUSE_SEND;
static const int fg_CURLPAUSE_CONT = CURLPAUSE_CONT;
static const int fg_CURL_PREREQFUNC_OK = CURL_PREREQFUNC_OK;
static const long fg_CURL_HTTP_VERSION_1_1 = CURL_HTTP_VERSION_1_1;
static const long fg_CURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;
static const curl_socket_t fg_CURL_SOCKET_TIMEOUT = CURL_SOCKET_TIMEOUT;
static const int fg_CURL_POLL_IN = CURL_POLL_IN;
static const int fg_CURL_POLL_OUT = CURL_POLL_OUT;
static const int fg_CURL_POLL_INOUT = CURL_POLL_INOUT;
static const int fg_CURL_POLL_REMOVE = CURL_POLL_REMOVE;
static const int fg_CURL_CSELECT_IN = CURL_CSELECT_IN;
static const int fg_CURL_CSELECT_OUT = CURL_CSELECT_OUT;
static const int fg_CURL_CSELECT_ERR = CURL_CSELECT_ERR;
static const int fg_CURL_ERROR_SIZE = CURL_ERROR_SIZE;
static const uint32_t fg_EPOLLIN = EPOLLIN;
static const uint32_t fg_EPOLLOUT = EPOLLOUT;
static const uint32_t fg_EPOLLERR = EPOLLERR;
static const uint32_t fg_EPOLLHUP = EPOLLHUP;

#endif
