/// A dated Azure `api-version`: `YYYY-MM-DD` or `YYYY-MM-DD-preview`, a real calendar date from 2022-12-01 on
/// (DESIGN.md "Versions").
///
/// Versions order by date; on the same date a preview comes before the stable release.
public struct LegacyAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int
    public let isPreview: Bool

    /// The oldest version filegate accepts.
    public static let oldest = LegacyAPIVersion(checkedYear: 2022, month: 12, day: 1, isPreview: false)

    /// The version errors are rendered in when the request's own version could not be read.
    static let errorFallback = LegacyAPIVersion(checkedYear: 2024, month: 10, day: 21, isPreview: false)

    private static let previewSuffix = "-preview"

    /// Parses the api-version text; `nil` for anything but a real date on or after `oldest`, optionally `-preview`.
    public init?(_ text: String) {
        var bytes = Array(text.utf8)
        var isPreview = false
        if bytes.count == 10 + Self.previewSuffix.utf8.count, text.hasSuffix(Self.previewSuffix) {
            bytes.removeLast(Self.previewSuffix.utf8.count)
            isPreview = true
        }
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Self.number(bytes[0..<4]), let month = Self.number(bytes[5..<7]),
            let day = Self.number(bytes[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day, isPreview: isPreview)
    }

    /// A version from its parts; `nil` unless they form a real date on or after `oldest`.
    public init?(year: Int, month: Int, day: Int, isPreview: Bool = false) {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.init(checkedYear: year, month: month, day: day, isPreview: isPreview)
        guard self >= Self.oldest else { return nil }
    }

    private init(checkedYear year: Int, month: Int, day: Int, isPreview: Bool) {
        self.year = year
        self.month = month
        self.day = day
        self.isPreview = isPreview
    }

    /// The text form, as a client sends it.
    public var description: String {
        let date = Self.padded(year, 4) + "-" + Self.padded(month, 2) + "-" + Self.padded(day, 2)
        return isPreview ? date + Self.previewSuffix : date
    }

    /// Whether this version's date is on or after the given day, previews included.
    func isOnOrAfter(_ year: Int, _ month: Int, _ day: Int) -> Bool {
        (self.year, self.month, self.day) >= (year, month, day)
    }

    public static func < (lhs: LegacyAPIVersion, rhs: LegacyAPIVersion) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.isPreview ? 0 : 1) < (rhs.year, rhs.month, rhs.day, rhs.isPreview ? 0 : 1)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
