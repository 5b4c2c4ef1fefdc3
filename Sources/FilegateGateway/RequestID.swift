/// filegate's own id for a request: logged on every line about it, and sent back in the dialect's request-id header.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    /// `req_` and 32 random hex digits.
    public static func make() -> RequestID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return RequestID(description: "req_" + hex(high) + hex(low))
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
