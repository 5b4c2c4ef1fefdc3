import Synchronization

/// filegate's own id for a request: logged on every line about it, and sent back in the dialect's request-id header.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    /// Random once per process; each id is unique within the process and, with these, across processes too.
    private static let processNonce = UInt64.random(in: .min ... .max)
    private static let counterSeed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    /// `req_` and 32 hex digits: the process's nonce, then the request's number scrambled by a bijection (so ids do
    /// not look sequential, yet never repeat). Ids need to be unique, not secret: two `getrandom` calls per request
    /// cost more than the rest of making one.
    public static func make() -> RequestID {
        let number = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return RequestID(description: format(processNonce, scramble(number &+ counterSeed)))
    }

    /// SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijection on 64 bits that scatters consecutive inputs.
    static func scramble(_ value: UInt64) -> UInt64 {
        var mixed = value
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }

    /// `req_` and both values as 16 lowercase hex digits each, written in one allocation.
    static func format(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { bytes in
            let digits: StaticString = "0123456789abcdef"
            func write(_ value: UInt64, at offset: Int) {
                for position in 0..<16 {
                    let nibble = Int((value >> UInt64(60 - 4 * position)) & 0xf)
                    bytes[offset + position] = digits.utf8Start[nibble]
                }
            }
            for (index, byte) in "req_".utf8.enumerated() { bytes[index] = byte }
            write(high, at: 4)
            write(low, at: 20)
            return 36
        }
    }
}
