import Testing

@testable import FilegateGateway

/// Request ids: the documented form, and no repeats.
@Suite struct RequestIDTests {
    @Test func isReqAnd32LowercaseHexDigits() {
        #expect(RequestID.format(0x0123_4567_89ab_cdef, 0xf) == "req_0123456789abcdef000000000000000f")
        let id = RequestID.make().description
        #expect(id.count == 36 && id.hasPrefix("req_"))
        #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) }, "\(id)")
    }

    @Test func idsDoNotRepeatAndDoNotLookSequential() {
        let ids = (0..<10_000).map { _ in RequestID.make().description }
        #expect(Set(ids).count == ids.count)
        // Consecutive ids differ in many of their last 16 digits, not just the last one or two.
        let changed = zip(ids[0].suffix(16), ids[1].suffix(16)).filter { $0 != $1 }.count
        #expect(changed >= 8, "\(ids[0]) then \(ids[1])")
    }

    @Test func scrambleIsABijectionOnASample() {
        let inputs: [UInt64] = Array(0..<1000) + [.max, .max - 1, 1 << 63]
        #expect(Set(inputs.map(RequestID.scramble)).count == inputs.count)
    }
}
