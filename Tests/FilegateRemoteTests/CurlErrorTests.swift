import FilegateCore
import Testing

@testable import FilegateRemote

/// `CurlError.gatewayError`, row by row: what the client sees, and that curl's text stays in the logs.
@Suite struct CurlErrorTests {
    @Test(
        arguments: [
            (CurlError.Kind.easy(.couldNotConnect), GatewayError.Code.upstreamUnreachable),
            (.easy(.couldNotResolveHost), .upstreamUnreachable),
            (.easy(.couldNotResolveProxy), .upstreamUnreachable),
            (.easy(.operationTimedOut), .upstreamTimeout),
            (.firstByteTimeout(.milliseconds(300)), .upstreamTimeout),
            (.easy(.peerFailedVerification), .badGateway),
            (.easy(.sslCACertificateBadFile), .badGateway),
            (.easy(.sslConnectError), .badGateway),
            (.easy(.partialFile), .badGateway),
            (.easy(.recvError), .badGateway),
            (.easy(.weirdServerReply), .badGateway),
            (.multi(.outOfMemory), .badGateway),
            (.system("epoll_create1", 24), .badGateway),
        ]
    )
    func mapsToTheCanonicalCode(kind: CurlError.Kind, expected: GatewayError.Code) {
        let error = CurlError(kind, detail: "detail from curl").gatewayError
        #expect(error.code == expected)
        #expect(error.underlying?.contains("detail from curl") == true)
        #expect(!error.message.contains("detail from curl"))
    }

    @Test func tlsFailureKeepsCurlsTextForTheLogsOnly() {
        let detail = "SSL certificate problem: unable to get local issuer certificate for upstream.internal"
        let error = CurlError(.easy(.peerFailedVerification), detail: detail).gatewayError
        #expect(error.status == 502)
        #expect(error.message == "A verified TLS connection to the upstream could not be established.")
        #expect(error.underlying == "CURLE 60: SSL peer certificate or SSH remote key was not OK: \(detail)")
    }

    @Test func statusesFollowTheCodes() {
        #expect(CurlError(.easy(.couldNotConnect)).gatewayError.status == 502)
        #expect(CurlError(.firstByteTimeout(.seconds(1))).gatewayError.status == 504)
    }
}
