/// A fuzz target's property that did not hold for one input: the fuzz executable aborts on it (so libFuzzer keeps
/// the input as a crash), the replay tests record it as a failure.
public struct InvariantViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which property broke, in a few words.
    public var property: String
    /// Both sides of the comparison, as text.
    public var details: String

    public init(_ property: String, _ details: String) {
        self.property = property
        self.details = details
    }

    public var description: String { "\(property): \(details)" }

    /// Throws unless `lhs == rhs`, naming both sides.
    static func expectEqual<Value: Equatable>(
        _ lhs: Value,
        _ rhs: Value,
        _ property: String
    ) throws(InvariantViolation) {
        guard lhs == rhs else { throw InvariantViolation(property, "\(lhs)\n  versus\n\(rhs)") }
    }
}
