#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "CFilegateCurl.h"

CURLcode fg_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fg_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fg_curl_easy_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fg_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fg_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode fg_curl_easy_setopt_share(CURL *handle, CURLSH *share) {
    return curl_easy_setopt(handle, CURLOPT_SHARE, share);
}

CURLcode fg_curl_easy_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

CURLcode fg_curl_easy_setopt_read_function(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

CURLcode fg_curl_easy_setopt_prereq_function(CURL *handle, curl_prereq_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, callback);
}

CURLcode fg_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode fg_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode fg_curl_easy_getinfo_ptr(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLMcode fg_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

CURLMcode fg_curl_multi_setopt_ptr(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

CURLMcode fg_curl_multi_setopt_socket_function(CURLM *handle, curl_socket_callback callback) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, callback);
}

CURLMcode fg_curl_multi_setopt_timer_function(CURLM *handle, curl_multi_timer_callback callback) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, callback);
}

CURLSHcode fg_curl_share_setopt_long(CURLSH *handle, CURLSHoption option, long value) {
    return curl_share_setopt(handle, option, value);
}

CURLcode fg_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

int fg_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

void fg_copy_bytes(void *restrict destination, const void *restrict source, size_t count) {
#if defined(__x86_64__)
    unsigned char *to = destination;
    const unsigned char *from = source;
    for (; count >= 64; count -= 64, to += 64, from += 64) {
        __m128i first = _mm_loadu_si128((const __m128i *)from);
        __m128i second = _mm_loadu_si128((const __m128i *)(from + 16));
        __m128i third = _mm_loadu_si128((const __m128i *)(from + 32));
        __m128i fourth = _mm_loadu_si128((const __m128i *)(from + 48));
        _mm_storeu_si128((__m128i *)to, first);
        _mm_storeu_si128((__m128i *)(to + 16), second);
        _mm_storeu_si128((__m128i *)(to + 32), third);
        _mm_storeu_si128((__m128i *)(to + 48), fourth);
    }
    if (count > 0) {
        memcpy(to, from, count);  // under 64 bytes: memcpy's vector path, never `rep movsb`
    }
#else
    if (count > 0) {
        memcpy(destination, source, count);
    }
#endif
}
