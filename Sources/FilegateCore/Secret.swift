/// A key or credential that must never reach a log line, an error body or a forwarded header.
///
/// Its description is `<redacted>`, so string interpolation and `Logger` metadata cannot leak it by accident, and
/// its mirror is empty, so `dump` and debuggers cannot walk into it; the value is read only through `withValue`,
/// at the one place that needs it.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    public func withValue<Result>(_ body: (String) throws -> Result) rethrows -> Result {
        try body(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
