import ArgumentParser
import FilegateGateway

/// `filegate check-config --config PATH`: loads the config as `serve` would and reports every problem.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file: print every problem, or a summary when it is valid."
    )

    @Option(help: "The JSON config file.")
    var config: String

    func run() async throws {
        let loaded = try ConfigLoader.load(path: config)
        print("config OK: \(loaded.backends.count) backends, \(loaded.clients.count) clients")
    }
}
