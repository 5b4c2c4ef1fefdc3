import FilegateCore

/// A request's query string, split and decoded: `&`-separated pairs, `+` as a space, percent-decoded.
///
/// Parameters filegate reads must appear at most once (a second `api-version` or `limit` is a 400 naming it);
/// parameters it does not know are ignored.
struct QueryParameters {
    /// Pairs in request order; the value stays raw until read, so a broken escape in an ignored parameter is no error.
    private var pairs: [(name: String, rawValue: Substring)] = []

    init(_ query: String?) {
        guard let query else { return }
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let rawName: Substring
            let rawValue: Substring
            if let equals = piece.firstIndex(of: "=") {
                rawName = piece[..<equals]
                rawValue = piece[piece.index(after: equals)...]
            } else {
                rawName = piece
                rawValue = ""
            }
            guard let name = PercentEncoding.decode(rawName, plusIsSpace: true) else { continue }
            pairs.append((name, rawValue))
        }
    }

    /// The decoded value of `name`; `nil` when absent, a 400 naming it when given twice or not decodable.
    func single(_ name: String) throws(GatewayError) -> String? {
        let matches = pairs.filter { $0.name == name }
        guard let match = matches.first else { return nil }
        guard matches.count == 1 else {
            throw .invalidRequest("The query parameter '\(name)' is given more than once.", param: name)
        }
        guard let value = PercentEncoding.decode(match.rawValue, plusIsSpace: true) else {
            throw .invalidRequest("The query parameter '\(name)' is not correctly percent-encoded.", param: name)
        }
        return value
    }
}
