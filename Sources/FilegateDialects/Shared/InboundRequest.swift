public import FilegateCore

/// A client's request head, parsed: the dialect to answer in and the canonical operation.
public struct InboundRequest: Sendable, Hashable {
    public var dialect: Dialect
    public var operation: Operation

    public init(dialect: Dialect, operation: Operation) {
        self.dialect = dialect
        self.operation = operation
    }
}
