import ArgumentParser

/// `filegate serve --config PATH`: a stand-in until the listener is wired; it checks the config like `check-config`.
struct Serve: AsyncParsableCommand {
    @Option(help: "The JSON config file.")
    var config: String

    func run() async throws {
        _ = try ConfigLoader.load(path: config)
        StandardError.write("serve: not wired yet")
        throw ExitCode(1)
    }
}
