import Foundation
import Testing

/// The package root, found from this file: the CLI tests run the built binary, not the library.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What a finished `filegate` process left behind.
struct Run: Equatable {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `.build/debug/filegate` with `arguments`, feeding `input` on standard input.
func filegate(_ arguments: [String], input: String = "", environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = packageRoot.appendingPathComponent(".build/debug/filegate")
    process.arguments = arguments
    process.environment = environment
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let error = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
        status: process.terminationStatus,
        standardOutput: String(decoding: output, as: UTF8.self),
        standardError: String(decoding: error, as: UTF8.self)
    )
}

@Suite("filegate command line")
struct CLITests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/FilegateGatewayTests/Fixtures").path

    @Test func checkConfigAcceptsTheSample() throws {
        let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("filegate-cli-\(UUID())")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: credentials) }
        try Data("old-key\n".utf8).write(to: credentials.appendingPathComponent("old"))

        let run = try filegate(
            ["check-config", "--config", "\(Self.fixtures)/four-backends.json"],
            environment: [
                "AZURE_EAST_KEY": "east-key", "OPENAI_API_KEY": "openai-key", "CREDENTIALS_DIRECTORY": credentials.path,
            ]
        )

        #expect(
            run
                == Run(
                    status: 0,
                    standardOutput: "config OK: 4 backends, 1 clients\n",
                    standardError: "warning: backends[1].default_expires_after_seconds: not set; the Azure v1 "
                        + "reference marks expires_after required on create, so creates without one may be refused\n"
                )
        )
    }

    @Test func checkConfigPrintsEveryProblem() throws {
        let run = try filegate(["check-config", "--config", "\(Self.fixtures)/several-problems.json"])
        #expect(
            run
                == Run(
                    status: 1,
                    standardOutput: "",
                    standardError: [
                        #"listen: "127.0.0.1" is not host:port (an IPv4 address, localhost or [IPv6], "#
                            + "and a port in 0...65535)",
                        "backends[0].directroy: unknown key",
                        "backends[0].directory: required",
                        #"clients[0].backends[0]: no backend is named "lokal""#,
                    ].map { $0 + "\n" }.joined()
                )
        )
    }

    @Test func checkConfigNamesTheUnsetVariables() throws {
        let run = try filegate(["check-config", "--config", "\(Self.fixtures)/four-backends.json"])
        #expect(run.status == 1)
        #expect(
            run.standardError.split(separator: "\n") == [
                "backends[1].api_key_env: environment variable AZURE_EAST_KEY is not set",
                "backends[2].api_key_file: environment variable CREDENTIALS_DIRECTORY is not set",
                "backends[3].api_key_env: environment variable OPENAI_API_KEY is not set",
            ]
        )
    }

    @Test(arguments: ["k\n", "k", "k\r\n"])
    func hashKeyStripsOneNewline(_ input: String) throws {
        let run = try filegate(["hash-key"], input: input)
        #expect(
            run
                == Run(
                    status: 0,
                    standardOutput: "8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a\n",
                    standardError: ""
                )
        )
    }

    @Test func hashKeyKeepsASecondNewline() throws {
        let run = try filegate(["hash-key"], input: "k\n\n")
        #expect(
            run
                == Run(
                    status: 0,
                    standardOutput: "19732980d68fbd00358a0a4d98246c960400b87e4fa2a2e155db98be2b42ed6c\n",
                    standardError: ""
                )
        )
    }

    @Test(arguments: ["", "\n"])
    func hashKeyRefusesAnEmptyKey(_ input: String) throws {
        let run = try filegate(["hash-key"], input: input)
        #expect(
            run == Run(status: 1, standardOutput: "", standardError: "hash-key: the key on standard input is empty\n")
        )
    }
}
