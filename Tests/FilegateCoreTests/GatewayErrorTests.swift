import FilegateCore
import Testing

@Suite("GatewayError")
struct GatewayErrorTests {
    /// DESIGN.md "Errors": the status each canonical code answers with.
    static let statuses: [(GatewayError.Code, Int)] = [
        (.invalidRequest, 400), (.unsupportedPurpose, 400), (.expiresAfterOutOfRange, 400), (.unauthorized, 401),
        (.forbidden, 403), (.notFound, 404), (.methodNotAllowed, 405), (.requestTimeout, 408),
        (.payloadTooLarge, 413), (.uriTooLong, 414), (.rangeNotSatisfiable, 416), (.tooManyRequests, 429),
        (.headerFieldsTooLarge, 431),
        (.internalError, 500), (.notImplemented, 501), (.upstreamUnreachable, 502), (.badGateway, 502),
        (.unavailable, 503), (.upstreamTimeout, 504), (.httpVersionNotSupported, 505),
    ]

    @Test("each code answers with its status", arguments: statuses)
    func status(_ code: GatewayError.Code, status: Int) {
        #expect(code.status == status)
        #expect(GatewayError(code, "x").status == status)
    }

    @Test("the table above names every code once")
    func everyCodeListed() {
        #expect(Set(Self.statuses.map(\.0)) == Set(GatewayError.Code.allCases))
        #expect(Self.statuses.count == GatewayError.Code.allCases.count)
    }

    @Test("an upstream's status is kept over the code's")
    func upstreamStatusKept() {
        #expect(GatewayError(.badGateway, "x", upstreamStatus: 418).status == 418)
        #expect(GatewayError(.invalidRequest, "x", upstreamStatus: 422).status == 422)
    }

    @Test("the underlying detail is in the log text, never in the client's message")
    func underlyingStaysInLogs() {
        let error = GatewayError.internalError("open(/var/lib/filegate/x): EACCES")
        #expect(!error.message.contains("/var/lib"))
        #expect(error.description == "internalError: \(error.message) (open(/var/lib/filegate/x): EACCES)")
        #expect(GatewayError(.notFound, "No such file.").description == "notFound: No such file.")
    }

    @Test("the shorthands build what they say")
    func shorthands() {
        #expect(GatewayError.notFound() == GatewayError(.notFound, "No such file."))
        #expect(GatewayError.invalidRequest("bad", param: "limit").param == "limit")
        #expect(GatewayError.invalidRequest("bad").code == .invalidRequest)
    }
}
