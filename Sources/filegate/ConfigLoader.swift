import ArgumentParser
import FilegateGateway

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Loading the config the way every subcommand that needs one does, so `check-config` judges what `serve` runs.
enum ConfigLoader {
    /// Loads `path` with the process environment; warnings go to standard error. On failure prints each problem on
    /// its own line to standard error and exits with status 1.
    static func load(path: String) throws -> GatewayConfig {
        do {
            let config = try GatewayConfig.load(path: path, environment: ProcessInfo.processInfo.environment)
            for warning in config.warnings {
                StandardError.write("warning: \(warning)")
            }
            return config
        } catch {
            for problem in error.problems {
                StandardError.write(problem)
            }
            throw ExitCode.failure
        }
    }
}
