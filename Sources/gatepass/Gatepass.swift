import ArgumentParser
import CBuildInfo
import Foundation

/// The `gatepass` command: policy compiler, checker and evaluator.
@main
struct Gatepass: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatepass",
        abstract: "Compile JWT authentication policies into decision bundles, and check them in CI.",
        version: GatepassVersion.current,
        subcommands: [Check.self, Compile.self, Inspect.self, Eval.self, Test.self, Diff.self, Schema.self, GatewayConfig.self, Publish.self, Bench.self]
    )

    /// Exit codes are part of the CLI contract: 0 clean, 1 problems found, 2 usage or I/O.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
            if let failure = error as? CLIError {
                FileHandle.standardError.write(Data("gatepass: error: \(failure.description)\n".utf8))
                Foundation.exit(ExitStatus.usageOrIO.rawValue)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(ExitStatus.usageOrIO.rawValue)
        }
    }
}

/// `gatepass --version`: the release version and the source revision it was built from.
enum GatepassVersion {
    static let number = "0.1.0"
    static let revision = String(cString: gatepass_build_revision())
    static let current = "\(number) (revision \(revision))"
}

/// The documented exit codes.
enum ExitStatus: Int32 {
    case clean = 0
    case problems = 1
    case usageOrIO = 2

    var exitCode: ExitCode { ExitCode(rawValue) }
}
