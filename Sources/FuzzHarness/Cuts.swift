/// Ways to cut one input into pieces, so a streaming parser fed in pieces can be compared with one fed it whole.
///
/// The cut points are a function of the bytes alone (a SplitMix64 stream seeded with their FNV-1a hash): libFuzzer
/// needs a target to do the same thing every time it is given the same input.
enum Cuts {
    /// Inputs up to this long are also fed one byte at a time. Longer ones only in random pieces: fed bytewise, a
    /// 1 KiB input costs twenty times the rest of its check, and over millions of executions random pieces split
    /// every place of every input shape anyway.
    static let bytewiseLimit = 64

    /// The ways to split `bytes` that a streaming parser fed them must read as it reads them whole.
    static func splits(of bytes: [UInt8]) -> [[ArraySlice<UInt8>]] {
        bytes.count <= bytewiseLimit ? [bytewise(bytes), random(bytes)] : [random(bytes)]
    }

    static func bytewise(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.indices.map { bytes[$0..<($0 + 1)] }
    }

    /// Pseudo-random pieces of 1 to 32 bytes.
    static func random(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var generator = SplitMix64(seed: fnv1a(bytes))
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int(generator.next() % 32) + 1)
            pieces.append(bytes[start..<end])
            start = end
        }
        return pieces
    }

    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }

    /// SplitMix64 (Steele, Lea, Flood 2014): a small seeded generator, enough to scatter cut points.
    private struct SplitMix64 {
        var state: UInt64

        init(seed: UInt64) {
            state = seed
        }

        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            return mixed ^ (mixed >> 31)
        }
    }
}
