/// The part of a file a client's `Range` header asks for, resolved against the file's size (RFC 9110 §14.1.2).
///
/// One range is served: `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`. Any other value (several ranges,
/// another unit, LAST before FIRST, anything malformed) is ignored and the whole file answered, as RFC 9110 lets a
/// server do; a range that starts past the end, or an empty suffix, is unsatisfiable (416).
public enum ByteRange: Hashable, Sendable {
    case whole
    /// `length` bytes from `offset`, both within the file.
    case part(offset: Int64, length: Int64)
    case unsatisfiable

    public init(header: String?, size: Int64) {
        guard let header, let (first, last) = Self.single(header) else {
            self = .whole
            return
        }
        switch (first, last) {
        case (nil, nil):
            self = .whole
        case (nil, let suffix?):
            // A suffix of an empty file is satisfiable but selects nothing: the whole, empty, file.
            if suffix == 0 {
                self = .unsatisfiable
            } else if size == 0 {
                self = .whole
            } else {
                let length = min(suffix, size)
                self = .part(offset: size - length, length: length)
            }
        case (let first?, let last):
            if let last, last < first {
                self = .whole
            } else if first >= size {
                self = .unsatisfiable
            } else {
                self = .part(offset: first, length: min(last ?? (size - 1), size - 1) - first + 1)
            }
        }
    }

    /// The `Content-Range` value that describes this answer for a file of `size` bytes: the part sent, or, for an
    /// unsatisfiable range, the size alone (`bytes */SIZE`); nil for the whole file.
    public func contentRange(size: Int64) -> String? {
        switch self {
        case .whole: nil
        case .part(let offset, let length): "bytes \(offset)-\(offset + length - 1)/\(size)"
        case .unsatisfiable: "bytes */\(size)"
        }
    }

    /// FIRST and LAST of a `bytes=FIRST-LAST` value with one range, either side possibly empty; nil when the value
    /// is not that. A number too large for Int64 reads as Int64.max: past any file's end.
    private static func single(_ header: String) -> (first: Int64?, last: Int64?)? {
        guard header.prefix(6).lowercased() == "bytes=" else { return nil }
        let sides = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard sides.count == 2, sides.allSatisfy({ $0.utf8.allSatisfy(digits.contains) }) else { return nil }
        let numbers = sides.map { $0.isEmpty ? nil : Int64($0) ?? .max }
        return (numbers[0], numbers[1])
    }
}
