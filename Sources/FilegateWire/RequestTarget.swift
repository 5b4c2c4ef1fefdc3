/// The four request-target forms of RFC 9112 §3.2, reduced to what filegate serves: an origin-form target, and an
/// absolute-form one rewritten to origin form with its authority kept for the gateway to check.
///
/// filegate is no forward proxy: an absolute-form target is served only when its authority names filegate itself
/// (issue 5 point 1), so the parser keeps that authority, normalised as `host:port` (lowercase host, the scheme's
/// port when none is given) so it compares equal to `authority(ofURL:)` of filegate's own URLs.
public enum RequestTarget {
    /// A target split into its origin form (`/path?query`) and, for the absolute form, its authority.
    struct Parsed: Hashable {
        var origin: String
        var authority: String?
    }

    /// Parses an origin-form or absolute-form (`http` or `https`) target; `*` and the authority form are refused
    /// (OPTIONS and CONNECT are not served), as is an absolute form with userinfo or a malformed authority.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(WireError) -> Parsed {
        if bytes.first == UInt8(ascii: "/") {
            return Parsed(origin: ASCII.string(bytes), authority: nil)
        }
        guard let (scheme, afterScheme) = schemePrefix(bytes) else {
            throw .badRequest("The request target is neither a path nor an http URL.")
        }
        let authorityEnd =
            afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == ASCII.questionMark } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard !authority.contains(UInt8(ascii: "@")), let normalised = normalisedAuthority(authority, scheme: scheme)
        else { throw .badRequest("The authority of the request target is malformed.") }
        let rest = afterScheme[authorityEnd...]
        let origin = rest.first == UInt8(ascii: "/") ? ASCII.string(rest) : "/" + ASCII.string(rest)
        return Parsed(origin: origin, authority: normalised)
    }

    /// The normalised `host:port` of an `http://` or `https://` URL (path ignored); nil for anything else.
    public static func authority(ofURL url: String) -> String? {
        let bytes = Array(url.utf8)[...]
        guard let (scheme, afterScheme) = schemePrefix(bytes) else { return nil }
        let end = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == ASCII.questionMark } ?? afterScheme.endIndex
        return normalisedAuthority(afterScheme[..<end], scheme: scheme)
    }

    /// The scheme (`http` or `https`, any case) and what follows its `://`.
    private static func schemePrefix(_ bytes: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>)? {
        for scheme in ["https", "http"] {
            let prefix = Array((scheme + "://").utf8)
            guard bytes.count >= prefix.count else { continue }
            let head = bytes.prefix(prefix.count)
            if zip(head, prefix).allSatisfy({ ASCII.lowercased($0) == $1 }) {
                return (scheme, bytes.dropFirst(prefix.count))
            }
        }
        return nil
    }

    /// `host:port` with the host lowercased and the scheme's default port filled in; nil when not a valid host.
    private static func normalisedAuthority(_ authority: ArraySlice<UInt8>, scheme: String) -> String? {
        guard RequestParser.isValidHost(Array(authority)) else { return nil }
        let lowered = authority.map(ASCII.lowercased)
        let hostEnd: Int
        if lowered.first == UInt8(ascii: "["), let close = lowered.firstIndex(of: UInt8(ascii: "]")) {
            hostEnd = close + 1
        } else {
            hostEnd = lowered.firstIndex(of: ASCII.colon) ?? lowered.count
        }
        let host = ASCII.string(lowered[..<hostEnd])
        let port = lowered[hostEnd...].dropFirst()
        guard !port.isEmpty else { return host + ":" + (scheme == "https" ? "443" : "80") }
        guard let number = ASCII.decimal(port) else { return nil }
        return host + ":" + String(number)
    }
}
