/// Parses a header value of the form `token *( OWS ";" OWS name "=" value )`, as `Content-Type` and
/// `Content-Disposition` are (RFC 9110 §5.6.6), with values as tokens or quoted strings.
///
/// Shared by `MultipartParser.boundary(fromContentType:)` and part headers; nil means malformed.
struct HeaderParameters: Sendable {
    /// The leading token (a media type such as `multipart/form-data`, or a disposition type), as sent.
    var value: String
    /// Parameters in order, names lowercased, values unquoted.
    var parameters: [(name: String, value: String)]

    /// The first parameter of that (lowercase) name.
    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    init?(_ text: String) {
        let bytes = Array(text.utf8)
        var position = 0
        func skipWhitespace() {
            while position < bytes.count, ASCII.isWhitespace(bytes[position]) { position += 1 }
        }
        func token() -> ArraySlice<UInt8> {
            let start = position
            while position < bytes.count,
                ASCII.isTokenCharacter(bytes[position]) || bytes[position] == UInt8(ascii: "/")
            {
                position += 1
            }
            return bytes[start..<position]
        }
        skipWhitespace()
        let leading = token()
        guard !leading.isEmpty else { return nil }
        value = ASCII.string(leading)
        parameters = []
        while true {
            skipWhitespace()
            guard position < bytes.count else { return }
            guard bytes[position] == ASCII.semicolon else { return nil }
            position += 1
            skipWhitespace()
            // A trailing ";" with nothing after it is tolerated, as browsers send none but some clients do.
            guard position < bytes.count else { return }
            let name = token()
            guard ASCII.isToken(name), position < bytes.count, bytes[position] == ASCII.equals else { return nil }
            position += 1
            var parameterValue: [UInt8] = []
            if position < bytes.count, bytes[position] == ASCII.quote {
                position += 1
                var closed = false
                while position < bytes.count {
                    let byte = bytes[position]
                    position += 1
                    if byte == ASCII.quote {
                        closed = true
                        break
                    }
                    if byte == ASCII.backslash {
                        guard position < bytes.count else { return nil }
                        parameterValue.append(bytes[position])
                        position += 1
                    } else {
                        parameterValue.append(byte)
                    }
                }
                guard closed else { return nil }
            } else {
                parameterValue = Array(token())
                guard !parameterValue.isEmpty else { return nil }
            }
            parameters.append((ASCII.string(name.map(ASCII.lowercased)), ASCII.string(parameterValue)))
        }
    }
}
