import ArgumentParser
import BundleFormat
import Compiler
import Foundation

/// `gatepass compile PATH... -o policy.gpb`: check, then emit a decision bundle.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check policies and compile them into a deterministic decision bundle.",
        discussion: "Nothing is written when there are errors. Exits 0 on success (warnings allowed), 1 on errors, 2 on usage or I/O problems."
    )

    @OptionGroup var input: PolicyInputOptions
    @OptionGroup var reporting: DiagnosticOutputOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Where to write the bundle.")
    var outputPath: String = "policy.gpb"

    @Option(help: "The bundle revision (default: a hash of the bundle's content).")
    var revision: String?

    @Option(help: "An Ed25519 private key (PEM) to sign the bundle with.")
    var signKey: String?

    @Flag(help: "Fetch every `jwksUri`/`discovery` key set now (with gatepass-publish fetch), check it as an inline JWKS and embed it as the bootstrap keys, with the fetch time. Without it the bundle records only the URLs.")
    var fetchJwks = false

    func run() throws {
        var signingKey: BundleSigningKey?
        if let signKey {
            guard let pem = FileManager.default.contents(atPath: signKey) else {
                throw CLIError("cannot read the signing key `\(signKey)`")
            }
            do { signingKey = try BundleSigningKey(pem: [UInt8](pem)) } catch { throw CLIError("\(signKey): \(error)") }
        }
        var fetcher: HelperKeyFetcher?
        if fetchJwks {
            guard let program = Publish.locate() else {
                throw CLIError("`--fetch-jwks` needs the gatepass-publish program next to gatepass or on PATH; "
                    + "build it with `swift build -c release --product gatepass-publish` (it links libcurl, which gatepass itself does not)")
            }
            fetcher = HelperKeyFetcher(program: program)
        }
        let outcome = input.pipeline.compile(paths: input.paths, revision: revision, signingKey: signingKey, fetcher: fetcher)
        DiagnosticPrinter(options: reporting).print(outcome.check.diagnostics, fileCount: outcome.check.fileCount)
        if outcome.check.hadIOFailure { throw ExitStatus.usageOrIO.exitCode }
        guard let bundle = outcome.bundle, let program = outcome.program else { throw ExitStatus.problems.exitCode }
        if reporting.strict && outcome.check.diagnostics.warningCount > 0 { throw ExitStatus.problems.exitCode }
        do {
            try OutputFile.write(bundle, to: outputPath)
        } catch {
            throw CLIError("cannot write `\(outputPath)`: \(error.localizedDescription)")
        }
        print("wrote \(outputPath): \(bundle.count) bytes, \(program.entries.count) entries, \(program.rules.count) rules, revision \(program.manifest.revision)")
    }
}

/// `gatepass inspect policy.gpb`: a readable dump of a bundle.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a readable dump of a decision bundle.")

    @Argument(help: "The bundle to inspect.")
    var bundle: String

    @Option(help: "A trusted Ed25519 public key (PEM); the bundle must be signed by one of them.")
    var trustedKey: [String] = []

    func run() throws {
        let bytes = try BundleFile.read(bundle)
        let reader = BundleReader(trustedKeys: try BundleFile.trustedKeys(trustedKey))
        do {
            let program = try reader.read(bytes)
            print(BundleDump.render(program, bundle: bytes), terminator: "")
        } catch {
            throw CLIError("\(bundle): \(error)")
        }
    }
}

enum BundleFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read `\(path)`") }
        return [UInt8](data)
    }

    static func trustedKeys(_ paths: [String]) throws -> [BundleTrustedKey] {
        try paths.map { path in
            do { return try BundleTrustedKey(pem: try read(path)) } catch let error as BundleError { throw CLIError("\(path): \(error)") }
        }
    }
}

/// A usage or I/O failure: printed as `gatepass: error: …`, exit status 2.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Writes command output files: a regular file (or a new one) atomically, through a
/// temporary file renamed over it, so a reader never sees half a bundle; a symbolic link's
/// target rather than the link; and anything else that exists (`/dev/null`, a FIFO, a
/// terminal) directly, since renaming over a device node would replace it.
enum OutputFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        if let type = try? FileManager.default.attributesOfItem(atPath: target.path)[.type] as? FileAttributeType, type != .typeRegular {
            try Data(bytes).write(to: target)
        } else {
            try Data(bytes).write(to: target, options: .atomic)
        }
    }
}
