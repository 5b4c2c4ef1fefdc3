import FilegateCore
import FilegateDialects
import FilegateWire
import Foundation
import Testing

@testable import FilegateGateway

/// The folder holding the config fixtures, found from this file so tests run from any working directory.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    .path

/// A config that must be refused, and every problem it must be refused with.
struct BadConfig: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    var problems: [String]

    init(_ name: String, _ json: String, _ problems: [String]) {
        self.name = name
        self.json = json
        self.problems = problems
    }

    var testDescription: String { name }
}

@Suite("Config loading")
struct ConfigTests {
    /// A config that is valid as is; bad cases change one part of it.
    static func document(
        top: String = #""listen": "127.0.0.1:8080""#,
        backends: String = #"{"name": "local", "kind": "local", "directory": "data"}"#,
        clients: String = #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["local"]}"#
    ) -> String {
        #"{\#(top), "backends": [\#(backends)], "clients": [\#(clients)]}"#
    }

    static let demoHash = "c48a01f49fd0f2cc404bc3cbbc80e91457a3d41bb429a695243de4c61794155c"
    static let otherHash = "8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a"
    static let environment = ["AZURE_EAST_KEY": "east-key"]

    static func parse(_ json: String) throws(ConfigError) -> GatewayConfig {
        try GatewayConfig.parse(json: Array(json.utf8), directory: "/etc/filegate", environment: environment)
    }

    static func problems(_ json: String) -> [String] {
        do {
            _ = try parse(json)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func loadsTheFourBackendSample() throws {
        let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("filegate-\(UUID())")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: credentials) }
        try Data("old-key\n".utf8).write(to: credentials.appendingPathComponent("old"))
        let environment = [
            "AZURE_EAST_KEY": "east-key", "OPENAI_API_KEY": "openai-key", "CREDENTIALS_DIRECTORY": credentials.path,
        ]

        let config = try GatewayConfig.load(path: "\(fixturesDirectory)/four-backends.json", environment: environment)

        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.givenPublicBaseURL == "http://127.0.0.1:8080")
        #expect(config.maxUploadBytes == 536_870_912)
        #expect(config.stateDirectory == fixturesDirectory)
        #expect(config.backends.map(\.name) == ["local", "east", "old", "oai"])
        #expect(config.backends.map(\.kind) == [.local, .azureV1, .azureLegacy, .openai])
        #expect(config.backends[0].location == .local(directory: "\(fixturesDirectory)/data"))
        #expect(
            config.backends.map(\.expiresAfterRange) == [3600...2_592_000, 259_200...2_592_000, nil, 3600...2_592_000]
        )
        #expect(config.backends.map(\.purposes) == [nil, nil, nil, nil])
        let remotes = config.backends.compactMap { backend -> RemoteBackendConfig? in
            guard case .remote(let remote) = backend.location else { return nil }
            return remote
        }
        #expect(
            remotes.map(\.endpoint)
                == ["https://east.openai.azure.com", "https://old.openai.azure.com", "https://api.openai.com"]
        )
        #expect(remotes.map { $0.apiKey.withValue { $0 } } == ["east-key", "old-key", "openai-key"])
        #expect(remotes.map(\.apiVersion) == [nil, "2024-06-01", nil])
        #expect(
            config.clients == [
                ClientConfig(name: "demo", keySHA256: Self.demoHash, backends: ["local"], defaultBackend: "local")
            ]
        )
        #expect(
            config.warnings == [
                "backends[1].default_expires_after_seconds: not set; the Azure v1 reference marks expires_after "
                    + "required on create, so creates without one may be refused"
            ]
        )
    }

    @Test func fillsDefaults() throws {
        let config = try Self.parse(Self.document())
        #expect(config.maxUploadBytes == GatewayConfig.defaultMaxUploadBytes)
        #expect(
            config.requestLimits
                == RequestLimits(maxRequestLineBytes: 8192, maxHeaderBytes: 32768, maxHeaderCount: 100)
        )
        #expect(
            config.connectionTimeouts
                == ConnectionTimeouts(
                    header: .seconds(10),
                    body: .seconds(20),
                    keepAlive: .seconds(15),
                    send: .seconds(60),
                    lingeringClose: .seconds(5),
                    lingeringCloseBytes: 4_194_304
                )
        )
        #expect(config.maxConnections == 4096)
        #expect(config.accessLog)
        #expect(config.stateDirectory == "/etc/filegate")
        #expect(config.givenPublicBaseURL == nil)
        #expect(config.publicBaseURL == "http://127.0.0.1:8080")
        #expect(config.publicBaseURL(boundPort: 4711) == "http://127.0.0.1:4711")
        #expect(config.clients.map(\.defaultBackend) == ["local"])
        #expect(config.warnings == [])
    }

    @Test func readsTheRequestHeadLimits() throws {
        let config = try Self.parse(
            Self.document(
                top: #""listen": "127.0.0.1:0", "max_request_line_bytes": 1024, "max_header_bytes": 4096, "#
                    + #""max_header_count": 20"#
            )
        )
        #expect(
            config.requestLimits
                == RequestLimits(maxRequestLineBytes: 1024, maxHeaderBytes: 4096, maxHeaderCount: 20)
        )
    }

    @Test func readsTheConnectionTimeouts() throws {
        let config = try Self.parse(
            Self.document(
                top: #""listen": "127.0.0.1:0", "client_header_timeout_seconds": 1, "#
                    + #""client_body_timeout_seconds": 2, "keepalive_timeout_seconds": 3, "send_timeout_seconds": 4, "#
                    + #""lingering_close_seconds": 86400, "lingering_close_bytes": 1024"#
            )
        )
        #expect(
            config.connectionTimeouts
                == ConnectionTimeouts(
                    header: .seconds(1),
                    body: .seconds(2),
                    keepAlive: .seconds(3),
                    send: .seconds(4),
                    lingeringClose: .seconds(86400),
                    lingeringCloseBytes: 1024
                )
        )
    }

    @Test func readsEachRemoteBackendsTransferSettings() throws {
        let config = try Self.parse(
            Self.document(
                top: #""listen": "127.0.0.1:0", "max_upload_bytes": 1000"#,
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "https://127.0.0.1:9443", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "connect_timeout_seconds": 2, "#
                    + #""first_byte_timeout_seconds": 30, "ca_file": "ca.pem", "max_list_entries": 50, "#
                    + #""max_upload_bytes": 500}, {"name": "local", "kind": "local", "directory": "data"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(Self.demoHash)", "backends": ["oai", "local"], "#
                    + #""default_backend": "oai"}"#
            )
        )
        guard case .remote(let remote) = config.backends[0].location else {
            Issue.record("expected a remote backend, got \(config.backends[0].location)")
            return
        }
        #expect(remote.dialect == .openAI)
        #expect(remote.connectTimeoutSeconds == 2)
        #expect(remote.firstByteTimeoutSeconds == 30)
        #expect(remote.caFile == "/etc/filegate/ca.pem")
        #expect(remote.maxListEntries == 50)
        #expect(remote.maxUpstreamConnections == 256)
        #expect(remote.upstreamQueueTimeoutSeconds == 10)
        #expect(config.backends.map(\.maxUploadBytes) == [500, 1000])
    }

    @Test func readsTheAccessLogSwitch() throws {
        let config = try Self.parse(Self.document(top: #""listen": "127.0.0.1:0", "access_log": false"#))
        #expect(!config.accessLog)
    }

    @Test func readsTheConnectionLimits() throws {
        let config = try Self.parse(
            Self.document(
                top: #""listen": "127.0.0.1:0", "max_connections": 4"#,
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "https://127.0.0.1:9443", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "max_upstream_connections": 1, "#
                    + #""upstream_queue_timeout_seconds": 2}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(Self.demoHash)", "backends": ["oai"]}"#
            )
        )
        #expect(config.maxConnections == 4)
        guard case .remote(let remote) = config.backends[0].location else {
            Issue.record("expected a remote backend, got \(config.backends[0].location)")
            return
        }
        #expect(remote.maxUpstreamConnections == 1)
        #expect(remote.upstreamQueueTimeoutSeconds == 2)
    }

    @Test func normalisesURLsHashesAndPaths() throws {
        let config = try Self.parse(
            Self.document(
                top: #""listen": "[::]:0", "public_base_url": "https://files.example.com/gate/", "#
                    + #""state_directory": "../state/./x/..""#,
                backends: #"{"name": "v1", "kind": "azure-v1", "endpoint": "http://127.0.0.1:9000/prefix/", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "default_expires_after_seconds": 300000, "#
                    + #""purposes": ["batch", "fine-tune"], "expires_after_range_seconds": [1, 400000]}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(Self.demoHash.uppercased())", "backends": ["v1"]}"#
            )
        )
        #expect(config.listen == ListenAddress(host: "::", port: 0))
        #expect(config.publicBaseURL(boundPort: 8080) == "https://files.example.com/gate")
        #expect(config.stateDirectory == "/etc/state")
        guard case .remote(let remote) = config.backends[0].location else {
            Issue.record("expected a remote backend, got \(config.backends[0].location)")
            return
        }
        #expect(remote.endpoint == "http://127.0.0.1:9000/prefix")
        #expect(config.backends[0].purposes == [.batch, .fineTune])
        #expect(config.backends[0].expiresAfterRange == 1...400_000)
        #expect(config.backends[0].defaultExpiresAfterSeconds == 300_000)
        #expect(config.clients[0].keySHA256 == Self.demoHash)
        #expect(config.warnings == [])
    }

    @Test func defaultURLBracketsIPv6() throws {
        let config = try Self.parse(Self.document(top: #""listen": "[::1]:0""#))
        #expect(config.publicBaseURL(boundPort: 9999) == "http://[::1]:9999")
    }

    /// One row per way a config goes wrong; each names the field at fault.
    static let badConfigs: [BadConfig] = [
        BadConfig(
            "unknown key",
            document(backends: #"{"name": "local", "kind": "local", "directory": "data", "directroy": "data"}"#),
            ["backends[0].directroy: unknown key"]
        ),
        BadConfig(
            "unknown top-level key",
            document(top: #""listen": "127.0.0.1:1", "lsiten": 1"#),
            ["lsiten: unknown key"]
        ),
        BadConfig(
            "unknown kind",
            document(backends: #"{"name": "local", "kind": "azure", "directory": "data"}"#),
            [#"backends[0].kind: unknown kind "azure"; expected one of local, openai, azure-v1, azure-legacy"#]
        ),
        BadConfig(
            "missing field",
            document(backends: #"{"name": "local", "kind": "local"}"#),
            ["backends[0].directory: required"]
        ),
        BadConfig("missing listen", document(top: #""max_upload_bytes": 1"#), ["listen: required"]),
        BadConfig(
            "unknown backend named by a client",
            document(clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["nope"]}"#),
            [#"clients[0].backends[0]: no backend is named "nope""#]
        ),
        BadConfig(
            "duplicate backend names",
            document(
                backends: #"{"name": "local", "kind": "local", "directory": "a"}, "#
                    + #"{"name": "local", "kind": "local", "directory": "b"}"#
            ),
            ["backends[1].name: same backend name as backends[0]"]
        ),
        BadConfig(
            "duplicate client names",
            document(
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["local"]}, "#
                    + #"{"name": "demo", "key_sha256": "\#(otherHash)", "backends": ["local"]}"#
            ),
            ["clients[1].name: same client name as clients[0]"]
        ),
        BadConfig(
            "two clients with one key",
            document(
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["local"]}, "#
                    + #"{"name": "other", "key_sha256": "\#(demoHash.uppercased())", "backends": ["local"]}"#
            ),
            ["clients[1].key_sha256: same key as clients[0]"]
        ),
        BadConfig(
            "unset ${VAR}",
            document(backends: #"{"name": "local", "kind": "local", "directory": "${STATE_DIRECTORY}/data"}"#),
            ["backends[0].directory: environment variable STATE_DIRECTORY is not set"]
        ),
        BadConfig(
            "unset api_key_env variable",
            document(
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "https://api.openai.com", "#
                    + #""api_key_env": "MISSING_KEY"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["oai"]}"#
            ),
            ["backends[0].api_key_env: environment variable MISSING_KEY is not set"]
        ),
        BadConfig(
            "unreadable key file",
            document(
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "https://api.openai.com", "#
                    + #""api_key_file": "/nonexistent/filegate-key"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["oai"]}"#
            ),
            ["backends[0].api_key_file: cannot read /nonexistent/filegate-key"]
        ),
        BadConfig(
            "both key sources",
            document(
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "https://api.openai.com", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "api_key_file": "key"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["oai"]}"#
            ),
            ["backends[0].api_key_file: set only one of api_key_env and api_key_file"]
        ),
        BadConfig(
            "bad listen address",
            document(top: #""listen": "example.com:8080""#),
            [
                #"listen: "example.com:8080" is not host:port (an IPv4 address, localhost or [IPv6], "#
                    + "and a port in 0...65535)"
            ]
        ),
        BadConfig(
            "0.0.0.0 without public_base_url",
            document(top: #""listen": "0.0.0.0:8080""#),
            ["listen: 0.0.0.0:8080 listens on every address, which no client can use in a URL: set public_base_url"]
        ),
        BadConfig(
            "[::] without public_base_url",
            document(top: #""listen": "[::]:8080""#),
            ["listen: [::]:8080 listens on every address, which no client can use in a URL: set public_base_url"]
        ),
        BadConfig(
            "bad public_base_url",
            document(top: #""listen": "127.0.0.1:1", "public_base_url": "https://example.com/?x=1""#),
            [#"public_base_url: "https://example.com/?x=1" must have no query, fragment or spaces"#]
        ),
        BadConfig(
            "bad api_version",
            document(
                backends: #"{"name": "old", "kind": "azure-legacy", "endpoint": "https://old.example.com", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "api_version": "2024-02-30"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["old"]}"#
            ),
            [
                #"backends[0].api_version: "2024-02-30" is not YYYY-MM-DD or YYYY-MM-DD-preview, "#
                    + "a real date from 2022-12-01 on"
            ]
        ),
        BadConfig(
            "field of another kind",
            document(
                backends: #"{"name": "v1", "kind": "azure-v1", "endpoint": "https://v1.example.com", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "organization": "org", "directory": "d", "#
                    + #""default_expires_after_seconds": 300000}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["v1"]}"#
            ),
            ["backends[0].directory: not used by kind azure-v1", "backends[0].organization: not used by kind azure-v1"]
        ),
        BadConfig(
            "unknown purpose word",
            document(
                backends:
                    #"{"name": "local", "kind": "local", "directory": "d", "purposes": ["batch", "batch_output"]}"#
            ),
            [
                #"backends[0].purposes[1]: unknown purpose "batch_output"; expected one of assistants, "#
                    + "assistants_output, batch, evals, fine-tune, fine-tune-results, user_data, vision"
            ]
        ),
        BadConfig(
            "default_expires_after outside range",
            document(
                backends: #"{"name": "local", "kind": "local", "directory": "d", "default_expires_after_seconds": 60}"#
            ),
            ["backends[0].default_expires_after_seconds: 60 lies outside 3600...2592000"]
        ),
        BadConfig(
            "inverted range",
            document(
                backends: #"{"name": "local", "kind": "local", "directory": "d", "#
                    + #""expires_after_range_seconds": [500, 100]}"#
            ),
            ["backends[0].expires_after_range_seconds: [500, 100] must satisfy 1 <= min <= max"]
        ),
        BadConfig(
            "wrong JSON type",
            document(top: #""listen": "127.0.0.1:1", "max_upload_bytes": "big""#),
            ["max_upload_bytes: expected an integer, got a string"]
        ),
        BadConfig(
            "request head limits that are not positive integers",
            document(
                top: #""listen": "127.0.0.1:1", "max_request_line_bytes": 0, "max_header_bytes": "32k", "#
                    + #""max_header_count": -1"#
            ),
            [
                "max_request_line_bytes: must be at least 1", "max_header_bytes: expected an integer, got a string",
                "max_header_count: must be at least 1",
            ]
        ),
        BadConfig(
            "connection timeouts that are not whole seconds in 1...86400, a lingering byte count under 1",
            document(
                top: #""listen": "127.0.0.1:1", "client_header_timeout_seconds": 0, "#
                    + #""client_body_timeout_seconds": 1.5, "keepalive_timeout_seconds": 86401, "#
                    + #""send_timeout_seconds": "60", "lingering_close_seconds": -5, "lingering_close_bytes": 0"#
            ),
            [
                "client_header_timeout_seconds: must be at least 1",
                "client_body_timeout_seconds: expected an integer, got a number",
                "keepalive_timeout_seconds: must be at most 86400 (a day)",
                "send_timeout_seconds: expected an integer, got a string",
                "lingering_close_seconds: must be at least 1",
                "lingering_close_bytes: must be at least 1",
            ]
        ),
        BadConfig(
            "an access_log that is not a boolean",
            document(top: #""listen": "127.0.0.1:1", "access_log": "off""#),
            ["access_log: expected true or false, got a string"]
        ),
        BadConfig(
            "connection limits that are not positive integers",
            document(
                top: #""listen": "127.0.0.1:1", "max_connections": 0"#,
                backends: #"{"name": "oai", "kind": "openai", "endpoint": "http://127.0.0.1:9", "#
                    + #""api_key_env": "AZURE_EAST_KEY", "max_upstream_connections": -2, "#
                    + #""upstream_queue_timeout_seconds": "10s"}"#,
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["oai"]}"#
            ),
            [
                "max_connections: must be at least 1", "backends[0].max_upstream_connections: must be at least 1",
                "backends[0].upstream_queue_timeout_seconds: expected an integer, got a string",
            ]
        ),
        BadConfig(
            "upstream limits on a local backend",
            document(
                backends: #"{"name": "local", "kind": "local", "directory": "d", "max_upstream_connections": 8, "#
                    + #""upstream_queue_timeout_seconds": 1}"#
            ),
            [
                "backends[0].max_upstream_connections: not used by kind local",
                "backends[0].upstream_queue_timeout_seconds: not used by kind local",
            ]
        ),
        BadConfig(
            "wrong JSON type for listen",
            document(top: #""listen": 8080"#),
            ["listen: expected a string, got a number"]
        ),
        BadConfig(
            "default_backend outside the client's backends",
            document(
                clients: #"{"name": "demo", "key_sha256": "\#(demoHash)", "backends": ["local"], "#
                    + #""default_backend": "east"}"#
            ),
            [#"clients[0].default_backend: "east" is not in this client's backends"#]
        ),
        BadConfig(
            "bad key hash",
            document(clients: #"{"name": "demo", "key_sha256": "abc", "backends": ["local"]}"#),
            ["clients[0].key_sha256: expected 64 hex digits (the output of filegate hash-key)"]
        ),
        BadConfig(
            "empty lists",
            #"{"listen": "127.0.0.1:1", "backends": [], "clients": []}"#,
            ["backends: must not be empty", "clients: must not be empty"]
        ),
        BadConfig("not JSON", "{listen", ["config: not valid JSON"]),
        BadConfig("not an object", "[]", ["config: expected an object, got an array"]),
    ]

    @Test(arguments: badConfigs)
    func refusesABadConfig(_ bad: BadConfig) {
        #expect(Self.problems(bad.json) == bad.problems)
    }

    @Test func reportsEveryProblemOfAFile() {
        var problems: [String] = []
        do {
            _ = try GatewayConfig.load(path: "\(fixturesDirectory)/several-problems.json", environment: [:])
        } catch {
            problems = error.problems
        }
        #expect(
            problems == [
                #"listen: "127.0.0.1" is not host:port (an IPv4 address, localhost or [IPv6], "#
                    + "and a port in 0...65535)",
                "backends[0].directroy: unknown key",
                "backends[0].directory: required",
                #"clients[0].backends[0]: no backend is named "lokal""#,
            ]
        )
    }

    @Test func reportsAMissingFile() {
        var problems: [String] = []
        do {
            _ = try GatewayConfig.load(path: "/nonexistent/filegate.json", environment: [:])
        } catch {
            problems = error.problems
        }
        #expect(problems == ["config: cannot read /nonexistent/filegate.json"])
    }

    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress(host: "127.0.0.1", port: 8080)),
        ("localhost:0", ListenAddress(host: "localhost", port: 0)),
        ("[::1]:65535", ListenAddress(host: "::1", port: 65535)),
        ("[fe80::1:2]:80", ListenAddress(host: "fe80::1:2", port: 80)),
        ("[::ffff:10.0.0.1]:80", ListenAddress(host: "::ffff:10.0.0.1", port: 80)),
        ("0.0.0.0:1", ListenAddress(host: "0.0.0.0", port: 1)),
    ])
    func parsesListenAddresses(_ text: String, _ expected: ListenAddress) {
        #expect(ListenAddress(parsing: text) == expected)
        #expect(ListenAddress(parsing: text)?.description == text)
    }

    @Test(arguments: [
        "127.0.0.1", "256.0.0.1:80", "example.com:80", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:-1",
        "01.0.0.1:80", "[::1]80", "::1:80", "[1:2:3:4:5:6:7:8:9]:80", "[::g]:80", "[1::2::3]:80", "1.2.3:80",
    ])
    func refusesListenAddresses(_ text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
