/// Bounds on what `MultipartParser` holds, so a client cannot make it buffer part headers without end.
public struct MultipartLimits: Hashable, Sendable {
    /// Largest header section of one part, CRLFs included.
    public var maxPartHeaderBytes: Int
    /// Most parts in one body.
    public var maxParts: Int

    public init(maxPartHeaderBytes: Int = 16384, maxParts: Int = 64) {
        self.maxPartHeaderBytes = maxPartHeaderBytes
        self.maxParts = maxParts
    }
}
