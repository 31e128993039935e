public import BundleFormat
public import Diagnostics
import Foundation
public import FrontEnd

extension Pipeline {
    /// The compiler's version as recorded in every bundle's manifest.
    public static let compilerVersion = "gatepass 0.1.0"

    /// Everything `gatepass compile` needs: the diagnostics and, when there were no
    /// errors, the program and its bundle bytes.
    public struct CompileOutcome: Sendable {
        public var check: CheckOutcome
        public var program: DecisionProgram?
        public var bundle: [UInt8]?
    }

    /// Loads, checks, lowers and serialises. Nothing is produced when there are errors.
    /// With a `fetcher` (`--fetch-jwks`), every remote key set is fetched and embedded as
    /// the entry's bootstrap keys, checked as an inline set would be.
    public func compile(paths: [String], revision: String? = nil, signingKey: BundleSigningKey? = nil,
                        fetcher: (any RemoteKeyFetching)? = nil) -> CompileOutcome {
        compile(loaded: loader.load(paths: paths), revision: revision, signingKey: signingKey, fetcher: fetcher)
    }

    /// The same from files already in memory (for example read from a git revision);
    /// `root`, when given, is what the bundle names the files relative to.
    public func compile(files: [SourceFile], root: PolicyRoot? = nil, revision: String? = nil,
                        signingKey: BundleSigningKey? = nil, fetcher: (any RemoteKeyFetching)? = nil) -> CompileOutcome {
        var (policySet, diagnostics) = loader.decode(files: files)
        policySet.root = root
        return compile(loaded: PolicySetLoader.Result(policySet: policySet, diagnostics: diagnostics, hadIOFailure: false),
                       revision: revision, signingKey: signingKey, fetcher: fetcher)
    }

    func compile(loaded original: PolicySetLoader.Result, revision: String?, signingKey: BundleSigningKey?,
                 fetcher: (any RemoteKeyFetching)?) -> CompileOutcome {
        var loaded = original
        var diagnostics = loaded.diagnostics
        if let fetcher {
            RemoteKeyFetch.fetch(&loaded.policySet, with: fetcher, into: &diagnostics)
        }
        let checked = Checker().check(loaded.policySet)
        diagnostics.append(contentsOf: checked.diagnostics.diagnostics)
        let outcome = CheckOutcome(policySet: loaded.policySet, diagnostics: diagnostics, hadIOFailure: loaded.hadIOFailure)
        guard !diagnostics.hasErrors, !loaded.hadIOFailure else { return CompileOutcome(check: outcome, program: nil, bundle: nil) }
        let program = Self.lower(loaded.policySet, keys: checked.keys, revision: revision)
        let bundle = BundleWriter().write(program, signingKey: signingKey)
        return CompileOutcome(check: outcome, program: program, bundle: bundle)
    }

    /// Lowers a checked set. The default revision is a hash of the bundle's content
    /// (written with an empty revision), so equal sources give equal revisions.
    static func lower(_ policySet: PolicySet, keys: [String: [CheckedKey]], revision: String?) -> DecisionProgram {
        let sources = (policySet.files + policySet.keyFiles)
            .map { SourceDigest(path: policySet.bundleName(of: $0), sha256: SHA256.hex($0.bytes)) }
            .sorted { $0.path < $1.path }
        var lowering = Lowering(keys: keys, root: policySet.root)
        var program = lowering.lower(policySet, manifest: Manifest(compilerVersion: compilerVersion, revision: "", sources: sources))
        if let revision {
            program.manifest.revision = revision
        } else {
            let content = BundleWriter().write(program)
            program.manifest.revision = "sha256:" + String(SHA256.hex(content).prefix(16))
        }
        return program
    }
}

extension Pipeline.CompileOutcome {
    /// The program with its source map naming files as the user gave them (the bundle
    /// names them relative to the policy root), for reports: `diff`, `test`.
    public var programForReports: DecisionProgram? {
        guard var program, let root = check.policySet.root else { return program }
        for index in program.sourceMap.indices {
            program.sourceMap[index].file = root.displayPath(of: program.sourceMap[index].file)
        }
        return program
    }
}
