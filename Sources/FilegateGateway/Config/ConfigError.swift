/// Why a config file was refused: every problem found, each naming its field by path
/// (`backends[1].api_key_env: environment variable AZURE_EAST_KEY is not set`).
///
/// Validation collects them all, so one `check-config` run shows everything an operator has to fix.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String { problems.joined(separator: "\n") }
}
