import ArgumentParser

/// The `filegate` command: serve, or check a config, or hash a client key for one.
@main
struct FilegateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filegate",
        abstract: "One URL in front of OpenAI-style Files API backends.",
        subcommands: [Serve.self, CheckConfig.self, HashKey.self]
    )
}
