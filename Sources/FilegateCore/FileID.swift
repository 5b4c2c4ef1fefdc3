/// A file id taken from a client's path, checked before anything is built from it.
///
/// Only `[A-Za-z0-9_-]{1,96}` passes, so an id can never carry a slash, a dot segment or a control byte into a
/// filesystem path or an upstream URL. Anything else is "not found" in the client's dialect.
public struct FileID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let maxLength = 96

    /// Returns `nil` for anything that is not a plain id.
    public init?(rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= Self.maxLength,
            rawValue.utf8.allSatisfy({ Self.isIDByte($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
