import ArgumentParser
import Compiler
import Diagnostics
import Foundation
import FrontEnd

/// The policy set to read.
struct PolicyInputOptions: ParsableArguments {
    @Argument(help: "Policy files and directories (directories are searched for *.yaml and *.yml).")
    var paths: [String]

    @Option(help: "Largest policy or key file accepted, in bytes.")
    var maxFileSize: Int = PolicySetLoader.defaultMaxFileSize

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one policy file or directory") }
        if maxFileSize < 1 { throw ValidationError("--max-file-size must be positive") }
    }

    var pipeline: Pipeline {
        Pipeline(loader: PolicySetLoader(maxFileSize: maxFileSize))
    }
}

/// How diagnostics are printed.
struct DiagnosticOutputOptions: ParsableArguments {
    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    @Flag(help: "Treat warnings as errors for the exit code.")
    var strict = false

    @Option(help: "Stop printing after this many errors.")
    var maxErrors: Int?

    @Option(help: "Colour: auto (only on a terminal), always or never.")
    var color: ColorChoice = .auto

    var useColors: Bool {
        switch color {
        case .always: true
        case .never: false
        case .auto: isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        }
    }
}

/// Prints diagnostics to standard error and the summary line to standard output.
struct DiagnosticPrinter {
    let options: DiagnosticOutputOptions

    func print(_ bag: DiagnosticBag, fileCount: Int) {
        var diagnostics = bag.sorted
        if let limit = options.maxErrors {
            var errors = 0
            diagnostics = diagnostics.filter { diagnostic in
                guard diagnostic.severity == .error else { return errors < limit }
                errors += 1
                return errors <= limit
            }
        }
        let renderer = TextRenderer(colors: options.useColors)
        let text = renderer.render(diagnostics)
        FileHandle.standardError.write(Data(text.utf8))
        let summary = TextRenderer.summary(errors: bag.errorCount, warnings: bag.warningCount, files: fileCount)
        Swift.print(summary)
    }
}
