import Crypto
public import FilegateCore
import FilegateWire

/// The configured clients' key hashes, and the check that tells which client a request's headers are
/// (DESIGN.md "Auth").
///
/// Keys are compared as SHA-256 hashes in constant time against every configured hash, so neither a match's
/// position nor a key's prefix shows in the time an answer takes.
public struct ClientKeyring: Sendable {
    private struct Entry: Sendable {
        var hash: [UInt8]
        var client: ClientConfig
    }

    private let entries: [Entry]

    public init(clients: [ClientConfig]) {
        entries = clients.map { Entry(hash: Self.bytes(fromHex: $0.keySHA256), client: $0) }
    }

    /// The client whose key the request carries, given every `api-key` and every `Authorization` value it sent.
    ///
    /// Candidates are the `api-key` value and a `Bearer` token (scheme case-insensitive). A candidate that is no
    /// configured key is ignored beside one that is (the SDK's `Bearer unused`); keys of two clients, a repeated
    /// header or a comma-joined value are refused. Messages never contain a key.
    public func authenticate(
        apiKeyValues: [String],
        authorizationValues: [String]
    ) throws(GatewayError) -> ClientConfig {
        guard apiKeyValues.count <= 1 else {
            throw GatewayError(.unauthorized, "The api-key header was sent more than once.")
        }
        guard authorizationValues.count <= 1 else {
            throw GatewayError(.unauthorized, "The Authorization header was sent more than once.")
        }
        // On bytes, not Characters: grapheme breaking every value was a quarter of this check's time.
        guard ![apiKeyValues, authorizationValues].joined().contains(where: { $0.utf8.contains(UInt8(ascii: ",")) })
        else {
            throw GatewayError(.unauthorized, "An api-key or Authorization header held more than one value.")
        }
        let candidates =
            apiKeyValues.map { ASCII.trimmed(Substring($0)) }.filter { !$0.isEmpty }
            + authorizationValues.compactMap(Self.bearerToken)
        guard !candidates.isEmpty else {
            throw GatewayError(
                .unauthorized,
                "Missing API key: send it in the api-key header or as Authorization: Bearer."
            )
        }
        var matched: Int?
        var matchedTwoClients = false
        for candidate in candidates {
            let hash = SHA256.hash(data: Array(candidate.utf8))
            for (index, entry) in entries.enumerated() where Self.constantTimeEqual(hash, entry.hash) {
                if let earlier = matched, earlier != index { matchedTwoClients = true }
                matched = index
            }
        }
        guard let matched else {
            throw GatewayError(.unauthorized, "Incorrect API key provided.")
        }
        guard !matchedTwoClients else {
            throw GatewayError(.unauthorized, "Keys of two different clients were sent.")
        }
        return entries[matched].client
    }

    /// The lowercase hex SHA-256 of a key, as `key_sha256` in the config holds it.
    public static func sha256Hex(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The token of a `Bearer` credential; `nil` for other schemes and empty tokens.
    private static func bearerToken(_ value: String) -> Substring? {
        let trimmedValue = ASCII.trimmed(Substring(value))
        guard let space = trimmedValue.utf8.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }),
            ASCII.equalsIgnoringCase(String(trimmedValue[..<space]), "bearer")
        else { return nil }
        let token = ASCII.trimmed(trimmedValue[space...])
        return token.isEmpty ? nil : token
    }

    /// Equal length and bytes, with every byte compared whatever the earlier ones were.
    private static func constantTimeEqual(_ digest: SHA256.Digest, _ hash: [UInt8]) -> Bool {
        digest.withUnsafeBytes { digest in
            guard digest.count == hash.count else { return false }
            var difference: UInt8 = 0
            for index in hash.indices {
                difference |= digest[index] ^ hash[index]
            }
            return difference == 0
        }
    }

    /// The bytes of an even-length hex string; empty (matching no hash) if it is not one.
    private static func bytes(fromHex hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return [] }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return []
            }
            bytes.append(byte)
        }
        return bytes
    }
}
