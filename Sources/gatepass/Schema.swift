import ArgumentParser
import Foundation
import FrontEnd

/// `gatepass schema [policy|test] [--output FILE]`: the JSON Schema of policy files or of
/// test files, for the YAML language server in editors.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema (draft 2020-12) of policy files or of test files (*.test.yaml).",
        discussion: """
            Point the YAML language server at it, for validation and completion in editors: \
            `# yaml-language-server: $schema=policy.schema.json` on a file's first line. \
            The output is deterministic (sorted keys, two-space indentation).
            """
    )

    @Argument(help: "Which schema: policy (one authentication entry per YAML document) or test (*.test.yaml).")
    var kind: Kind = .policy

    @Option(name: .shortAndLong, help: "Write the schema to this file instead of standard output.")
    var output: String?

    func run() throws {
        let text = kind.schema.text
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try OutputFile.write(Array(text.utf8), to: output)
        } catch {
            throw CLIError("cannot write `\(output)`: \(error.localizedDescription)")
        }
    }
}

extension Schema {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case policy, test

        var schema: GatepassSchema {
            switch self {
            case .policy: .policy
            case .test: .test
            }
        }
    }
}
