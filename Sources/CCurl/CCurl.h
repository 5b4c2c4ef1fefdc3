// libcurl as a system library, found through pkg-config `libcurl` (Debian: libcurl4-openssl-dev).
// Swift code imports CFilegateCurl, which adds the typed wrappers curl's variadic calls need.
#include <curl/curl.h>
