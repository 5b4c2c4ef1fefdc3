import ArgumentParser
import FilegateGateway

/// `filegate hash-key`: reads a client key on standard input and prints the `key_sha256` value for the config.
///
/// One trailing newline (and a `\r` before it) is stripped, so `echo KEY | filegate hash-key` hashes `KEY`.
struct HashKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-key",
        abstract: "Print the SHA-256 of the key read on standard input, for a client's key_sha256."
    )

    func run() async throws {
        var bytes: [UInt8] = []
        while let line = readLine(strippingNewline: false) {
            bytes += line.utf8
        }
        let key = GatewayConfig.keyText(bytes)
        guard !key.isEmpty else {
            StandardError.write("hash-key: the key on standard input is empty")
            throw ExitCode.failure
        }
        print(ClientKeyring.sha256Hex(key))
    }
}
