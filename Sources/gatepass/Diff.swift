import ArgumentParser
import BundleFormat
import Compiler
import Diagnostics
import Foundation
import FrontEnd

/// `gatepass diff OLD NEW`: what changes for requests between two versions of a policy
/// set, computed from the compiled tries, as a report, JSON or a pull-request comment.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changes for requests between two versions of a policy set.",
        discussion: """
        OLD and NEW are policy directories or files, bundles (*.gpb), or git revisions written \
        REV1..REV2 followed by the policy paths (read from git, no checkout needed). Exits 0 when the \
        diff ran, 1 when a change of a --fail-on class exists, 2 on usage errors, unreadable input or \
        policies that do not compile.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
    }

    @Argument(help: "OLD NEW, or REV1..REV2 PATH... for two git revisions.")
    var inputs: [String] = []

    @Option(help: "Output format: text, json or markdown.")
    var format: Format = .text

    @Option(name: .customLong("fail-on"),
            help: "Exit 1 when a change of these classes exists (comma-separated or repeated): \(Diff.classNames).")
    var failOn: [String] = []

    @Option(help: "Witness requests shown per change.")
    var maxWitnesses: Int = 3

    @Option(help: "Largest policy or key file accepted, in bytes.")
    var maxFileSize: Int = PolicySetLoader.defaultMaxFileSize

    static var classNames: String { (ChangeClass.allCases.map(\.rawValue) + ["any"]).joined(separator: ", ") }

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give OLD and NEW, or REV1..REV2 PATH") }
        if gitRange == nil && inputs.count != 2 { throw ValidationError("give exactly two inputs, OLD and NEW") }
        if gitRange != nil && inputs.count < 2 { throw ValidationError("give the policy path to read from git after `\(inputs[0])`") }
        if maxWitnesses < 1 { throw ValidationError("--max-witnesses must be positive") }
        if maxFileSize < 1 { throw ValidationError("--max-file-size must be positive") }
        _ = try failClasses()
    }

    /// `REV1..REV2` as the first input, when it is not a path on disk.
    var gitRange: (String, String)? {
        guard let first = inputs.first, !FileManager.default.fileExists(atPath: first),
              let dots = first.range(of: "..") else { return nil }
        let old = String(first[..<dots.lowerBound]), new = String(first[dots.upperBound...])
        guard !old.isEmpty, !new.hasPrefix(".") else { return nil }
        return (old, new.isEmpty ? "HEAD" : new)
    }

    /// The classes of `--fail-on`; nil when `any` was given.
    func failClasses() throws -> Set<ChangeClass>? {
        var classes: Set<ChangeClass> = []
        for name in failOn.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if name == "any" { return nil }
            guard let changeClass = ChangeClass(rawValue: name) else {
                throw ValidationError("unknown change class `\(name)` for --fail-on; use one of \(Self.classNames)")
            }
            classes.insert(changeClass)
        }
        return classes
    }

    func run() throws {
        let old: DiffInput, new: DiffInput
        if let (oldRevision, newRevision) = gitRange {
            let paths = Array(inputs.dropFirst())
            old = try GitPolicySet(revision: oldRevision, paths: paths, maxFileSize: maxFileSize).load(side: "old")
            new = try GitPolicySet(revision: newRevision, paths: paths, maxFileSize: maxFileSize).load(side: "new")
            if old.program.entries.isEmpty && new.program.entries.isEmpty && old.fileCount + new.fileCount == 0 {
                throw CLIError("no policy files under \(paths.map { "`\($0)`" }.joined(separator: ", ")) in `\(oldRevision)` or `\(newRevision)`")
            }
        } else {
            old = try DiffInput.load(inputs[0], side: "old", maxFileSize: maxFileSize)
            new = try DiffInput.load(inputs[1], side: "new", maxFileSize: maxFileSize)
        }
        let report = PolicyDiff.compare(old: old.program, new: new.program, options: DiffOptions(maxWitnesses: maxWitnesses))
        let sides = DiffSides(oldLabel: old.label, newLabel: new.label,
                              oldRevision: old.program.manifest.revision, newRevision: new.program.manifest.revision)
        switch format {
        case .text: print(DiffRendering.text(report, sides: sides), terminator: "")
        case .markdown: print(DiffRendering.markdown(report, sides: sides), terminator: "")
        case .json: print(DiffJSON.render(report, sides: sides).text)
        }
        let failing = try failClasses()
        let failed = failing.map { classes in report.changes.contains { classes.contains($0.changeClass) } } ?? !report.changes.isEmpty
        if failed && !failOn.isEmpty { throw ExitStatus.problems.exitCode }
    }
}

/// One side of a diff: a compiled program and how to name it.
struct DiffInput {
    var label: String
    var program: DecisionProgram
    var fileCount: Int

    /// A directory or policy file is compiled; a bundle (magic bytes, or `*.gpb`) is read.
    static func load(_ path: String, side: String, maxFileSize: Int) throws -> DiffInput {
        let clean = PolicySetLoader.cleanPath(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: clean, isDirectory: &isDirectory) else {
            throw CLIError("no such file or directory: `\(path)`")
        }
        if !isDirectory.boolValue {
            let bytes = try BundleFile.read(clean)
            if bytes.starts(with: bundleMagic) || clean.hasSuffix(".gpb") {
                do {
                    return DiffInput(label: clean, program: try BundleReader().read(bytes), fileCount: 1)
                } catch {
                    throw CLIError("\(clean): \(error)")
                }
            }
        }
        let outcome = Pipeline(loader: PolicySetLoader(maxFileSize: maxFileSize)).compile(paths: [clean])
        return try compiled(outcome, label: clean, side: side)
    }

    static let bundleMagic: [UInt8] = [0x89, 0x47, 0x50, 0x42, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The program, or the diagnostics on standard error and exit status 2.
    static func compiled(_ outcome: Pipeline.CompileOutcome, label: String, side: String) throws -> DiffInput {
        guard let program = outcome.program, !outcome.check.hadIOFailure else {
            let colors = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            let diagnostics = outcome.check.diagnostics
            FileHandle.standardError.write(Data(TextRenderer(colors: colors).render(diagnostics.sorted).utf8))
            FileHandle.standardError.write(Data((TextRenderer.summary(errors: diagnostics.errorCount, warnings: diagnostics.warningCount,
                                                                      files: outcome.check.fileCount) + "\n").utf8))
            throw CLIError("the \(side) policy set `\(label)` does not compile")
        }
        // The report names files as the user gave them, not as the bundle does.
        return DiffInput(label: label, program: outcome.programForReports ?? program, fileCount: outcome.check.fileCount)
    }
}

/// A policy set read from a git revision without a checkout: `git ls-tree` lists the
/// files, `git show REV:FILE` reads them (and their `jwksFile`s), with repository-relative
/// paths so diagnostics and locations name them as the repository does.
struct GitPolicySet {
    var revision: String
    var paths: [String]
    var maxFileSize: Int

    func load(side: String) throws -> DiffInput {
        let listing = Git.run(["ls-tree", "-r", "-z", "--full-name", "--name-only", revision, "--"] + paths)
        guard listing.status == 0 else { throw CLIError("git ls-tree \(revision): \(listing.errorText)") }
        let names = listing.output.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            .filter { name in
                let components = name.split(separator: "/")
                return !components.contains { $0.hasPrefix(".") } && PolicySetLoader.isPolicyFileName(String(components.last ?? ""))
            }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var files: [SourceFile] = []
        for name in names {
            let shown = Git.run(["show", "\(revision):\(name)"])
            guard shown.status == 0 else { throw CLIError("git show \(revision):\(name): \(shown.errorText)") }
            guard shown.output.count <= maxFileSize else {
                throw CLIError("\(revision):\(name) is \(shown.output.count) bytes, over the bound of \(maxFileSize) bytes")
            }
            files.append(SourceFile(path: name, bytes: shown.output))
        }
        let revision = revision, maxFileSize = maxFileSize
        let loader = PolicySetLoader(maxFileSize: maxFileSize, keyFileSource: { path in
            let shown = Git.run(["show", "\(revision):\(path)"])
            guard shown.status == 0 else { return .failure(KeyFileError("no such file `\(path)` in `\(revision)`")) }
            guard shown.output.count <= maxFileSize else {
                return .failure(KeyFileError("the file is \(shown.output.count) bytes, over the bound of \(maxFileSize) bytes"))
            }
            return .success(SourceFile(path: path, bytes: shown.output))
        })
        let label = "\(revision):\(paths.joined(separator: ","))"
        // Names are repository paths (`--full-name`); the root is the common parent of the
        // PATH arguments seen from the repository's top, as a checkout would compile them.
        let prefix = String(decoding: Git.run(["rev-parse", "--show-prefix"]).output, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let inputs = (paths.isEmpty ? ["."] : paths).map { path in
            let full = PolicySetLoader.cleanPath(prefix.isEmpty ? path : prefix + "/" + path)
            return (path: full, isDirectory: !PolicySetLoader.isPolicyFileName(String(full.split(separator: "/").last ?? "")))
        }
        let root = PolicyRoot(inputs: inputs, workingDirectory: "/")
        return try DiffInput.compiled(Pipeline(loader: loader).compile(files: files, root: root), label: label, side: side)
    }
}

/// Runs `git` in the current directory.
enum Git {
    struct Result {
        var status: Int32
        var output: [UInt8]
        var errorText: String
    }

    /// Through the one child runner (`ChildProcess`), with bounds no `git show` of policy
    /// files comes near: 256 MiB of output, 10 minutes.
    static func run(_ arguments: [String]) -> Result {
        do {
            let run = try ChildProcess.run(["/usr/bin/env", "git"] + arguments, stdoutLimit: 256 << 20, deadline: 600)
            let message = String(decoding: run.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return Result(status: run.status, output: run.stdout, errorText: message)
        } catch {
            return Result(status: -1, output: [], errorText: "cannot run git: \(error.reason)")
        }
    }
}

/// The diff as JSON, keys in a fixed order.
enum DiffJSON {
    static func render(_ report: DiffReport, sides: DiffSides) -> JSONOutput {
        .object([
            ("old", .object([("input", .string(sides.oldLabel)), ("revision", .string(sides.oldRevision))])),
            ("new", .object([("input", .string(sides.newLabel)), ("revision", .string(sides.newRevision))])),
            ("regions", .int(report.regionCount)),
            ("changedRegions", .int(report.changedRegionCount)),
            ("summary", .object(ChangeClass.allCases.map { changeClass in
                (changeClass.rawValue, .int(report.changes.count { $0.changeClass == changeClass }))
            })),
            ("changes", .array(report.changes.map(change))),
        ])
    }

    static func change(_ change: Change) -> JSONOutput {
        .object([
            ("class", .string(change.changeClass.rawValue)),
            ("before", .array(change.before.map(JSONOutput.string))),
            ("after", .array(change.after.map(JSONOutput.string))),
            ("details", .array(change.details.map(JSONOutput.string))),
            ("regions", .int(change.regionCount)),
            ("witnesses", .array(change.witnesses.map { witness in
                var members: [(String, JSONOutput)] = [("host", witness.host.map(JSONOutput.string) ?? .null), ("path", .string(witness.path))]
                if let methods = witness.methods { members.append(("methods", .array(methods.map(JSONOutput.string)))) }
                if witness.corsPreflight { members.append(("corsPreflight", .bool(true))) }
                return .object(members)
            })),
            ("oldLocations", .array(change.oldLocations.map(location))),
            ("newLocations", .array(change.newLocations.map(location))),
        ])
    }

    static func location(_ location: BundleFormat.SourceLocation) -> JSONOutput {
        .object([("file", .string(location.file)), ("line", .int(Int(location.line))), ("column", .int(Int(location.column)))])
    }
}
