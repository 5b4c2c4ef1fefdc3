/// The address filegate listens on: an IPv4 literal, `localhost` or an IPv6 literal, and a port (0 lets the system
/// pick one).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets (`127.0.0.1`, `localhost`, `::1`).
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether the host is the IPv4 or IPv6 wildcard, which no client can use to build a URL.
    public var isWildcard: Bool {
        if host == "0.0.0.0" { return true }
        return ListenAddress.ipv6Groups(host)?.allSatisfy { $0 == 0 } ?? false
    }

    /// `host:port`, with the host bracketed when it is an IPv6 literal.
    public var description: String { "\(urlHost):\(port)" }

    /// The host as a URL spells it: IPv6 literals in brackets.
    var urlHost: String { host.contains(":") ? "[\(host)]" : host }

    /// Parses `host:port` or `[IPv6]:port`; `nil` when the text is neither.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), ListenAddress.ipv6Groups(host) != nil else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard host == "localhost" || ListenAddress.isIPv4(host) else { return nil }
        }
        guard let port = ListenAddress.port(portText) else { return nil }
        self.init(host: String(host), port: port)
    }

    /// A decimal port in 0...65535, digits only.
    static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy(\.isASCIIDigit), let port = Int(text),
            (0...65535).contains(port)
        else { return nil }
        return port
    }

    /// Four decimal octets in 0...255 without leading zeros (which some parsers read as octal).
    static func isIPv4(_ text: some StringProtocol) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4
            && octets.allSatisfy { octet in
                (1...3).contains(octet.count) && octet.allSatisfy(\.isASCIIDigit)
                    && !(octet.count > 1 && octet.hasPrefix("0")) && Int(octet).map { $0 <= 255 } == true
            }
    }

    /// The eight 16-bit groups of an IPv6 literal (`::` expanded, an IPv4 tail allowed); `nil` if it is not one.
    static func ipv6Groups(_ text: some StringProtocol) -> [UInt16]? {
        let halves = String(text).split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            return head.count == 8 ? head : nil
        }
        guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    /// The groups of one side of `::`; the last may be a dotted IPv4 address, which counts as two.
    private static func groups(_ text: String) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        var result: [UInt16] = []
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, part.contains(".") {
                guard isIPv4(part) else { return nil }
                let octets = part.split(separator: ".").compactMap { UInt16($0) }
                result += [octets[0] << 8 | octets[1], octets[2] << 8 | octets[3]]
            } else {
                guard (1...4).contains(part.count), part.allSatisfy(\.isASCIIHexDigit),
                    let group = UInt16(part, radix: 16)
                else { return nil }
                result.append(group)
            }
        }
        return result
    }
}

extension Character {
    /// `0`...`9` only; `isNumber` would also take other scripts' digits.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }

    /// `0`...`9`, `a`...`f`, `A`...`F`.
    var isASCIIHexDigit: Bool { isASCIIDigit || ("a"..."f").contains(self) || ("A"..."F").contains(self) }
}
