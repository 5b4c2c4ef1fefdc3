// make bench-proxy's SwiftNIO floors: what SwiftNIO alone costs for each half of a small GET through a proxy.
//
//   nio-floor server PORT
//       The client half: read until the end of each head, write one fixed answer the size of a file object. No
//       header parsing, no routing, no upstream. Prints "listening on PORT" once bound.
//   nio-floor client URL KEY REQUESTS
//       The upstream half, as an HTTP/1.1 client on NIOHTTP1 would do it instead of libcurl (bench/curl_floor.c):
//       GET URL with `Authorization: Bearer KEY` on 64 keep-alive connections, each sending its next request when
//       an answer ends, bodies dropped. Prints "requests/s cpu_us_per_request" for REQUESTS after a warm-up.
//
// One event loop either way; whatever a proxy does besides, it cannot go faster than this on the same CPU.
import Glibc

let arguments = CommandLine.arguments.dropFirst()
switch (arguments.first, arguments.count) {
case ("server", 2):
    try runServer(port: Int(arguments.last!)!)
case ("client", 4):
    let values = Array(arguments.dropFirst())
    try runClient(url: values[0], key: values[1], requests: Int(values[2])!)
default:
    print("usage: nio-floor server PORT | nio-floor client URL KEY REQUESTS")
    exit(2)
}
