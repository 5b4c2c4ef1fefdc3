import FilegateCore
import FilegateGateway
import Testing

@Suite("Client keys")
struct ClientKeyringTests {
    static let keyring = ClientKeyring(clients: [
        ClientConfig(
            name: "alice",
            keySHA256: ClientKeyring.sha256Hex("alice-key"),
            backends: ["local"],
            defaultBackend: "local"
        ),
        ClientConfig(
            name: "bob",
            keySHA256: ClientKeyring.sha256Hex("bob-key"),
            backends: ["local"],
            defaultBackend: "local"
        ),
    ])

    /// A header combination and who it must authenticate as, or the 401 message it must get.
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var apiKey: [String]
        var authorization: [String]
        /// The client's name, or the error message.
        var expected: Outcome

        enum Outcome: Hashable, Sendable {
            case client(String)
            case refused(String)
        }

        var testDescription: String { name }
    }

    static let missing = "Missing API key: send it in the api-key header or as Authorization: Bearer."

    static let rows: [Row] = [
        Row(name: "api-key only", apiKey: ["alice-key"], authorization: [], expected: .client("alice")),
        Row(name: "Bearer only", apiKey: [], authorization: ["Bearer bob-key"], expected: .client("bob")),
        Row(name: "bearer in lower case", apiKey: [], authorization: ["bearer bob-key"], expected: .client("bob")),
        Row(
            name: "both headers, one client",
            apiKey: ["alice-key"],
            authorization: ["Bearer alice-key"],
            expected: .client("alice")
        ),
        Row(
            name: "api-key beside Bearer unused",
            apiKey: ["alice-key"],
            authorization: ["Bearer unused"],
            expected: .client("alice")
        ),
        Row(
            name: "Bearer beside a wrong api-key",
            apiKey: ["wrong"],
            authorization: ["Bearer bob-key"],
            expected: .client("bob")
        ),
        Row(
            name: "keys of two clients",
            apiKey: ["alice-key"],
            authorization: ["Bearer bob-key"],
            expected: .refused("Keys of two different clients were sent.")
        ),
        Row(
            name: "api-key repeated",
            apiKey: ["alice-key", "alice-key"],
            authorization: [],
            expected: .refused("The api-key header was sent more than once.")
        ),
        Row(
            name: "Authorization repeated",
            apiKey: [],
            authorization: ["Bearer alice-key", "Bearer alice-key"],
            expected: .refused("The Authorization header was sent more than once.")
        ),
        Row(
            name: "comma-joined api-key",
            apiKey: ["alice-key, bob-key"],
            authorization: [],
            expected: .refused("An api-key or Authorization header held more than one value.")
        ),
        Row(
            name: "comma-joined Authorization",
            apiKey: [],
            authorization: ["Bearer alice-key, Bearer bob-key"],
            expected: .refused("An api-key or Authorization header held more than one value.")
        ),
        Row(name: "Basic scheme", apiKey: [], authorization: ["Basic YWxpY2Uta2V5"], expected: .refused(missing)),
        Row(name: "Bearer without a token", apiKey: [], authorization: ["Bearer "], expected: .refused(missing)),
        Row(name: "no headers", apiKey: [], authorization: [], expected: .refused(missing)),
        Row(name: "empty api-key", apiKey: [""], authorization: [], expected: .refused(missing)),
        Row(
            name: "wrong key",
            apiKey: ["carol-key"],
            authorization: [],
            expected: .refused("Incorrect API key provided.")
        ),
        Row(
            name: "wrong api-key beside Bearer unused",
            apiKey: ["alice-key-2"],
            authorization: ["Bearer unused"],
            expected: .refused("Incorrect API key provided.")
        ),
    ]

    @Test(arguments: rows)
    func authenticates(_ row: Row) {
        let outcome: Row.Outcome
        do {
            let client = try Self.keyring.authenticate(apiKeyValues: row.apiKey, authorizationValues: row.authorization)
            outcome = .client(client.name)
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.status == 401)
            outcome = .refused(error.message)
        }
        #expect(outcome == row.expected)
    }

    @Test func hashesKeysAsLowercaseHex() {
        #expect(ClientKeyring.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ClientKeyring.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
