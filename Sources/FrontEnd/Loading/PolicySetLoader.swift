public import Diagnostics
import Foundation

/// Reads a policy set from files and directories: the only part of the front end that
/// touches the file system.
///
/// Directories are searched recursively for `*.yaml` and `*.yml` (skipping hidden entries
/// and `*.test.yaml` test files); all files are read in sorted path order, so no result
/// ever depends on the order in which the file system lists them.
public struct PolicySetLoader: Sendable {
    public static let defaultMaxFileSize = 1 << 20

    public var maxFileSize: Int
    public var reader: YAMLReader
    /// Reads a `jwksFile` (already resolved against its policy file); nil reads the file
    /// system. `gatepass diff` reads them from a git revision instead.
    public var keyFileSource: (@Sendable (String) -> Swift.Result<SourceFile, KeyFileError>)?

    public init(maxFileSize: Int = PolicySetLoader.defaultMaxFileSize, reader: YAMLReader = YAMLReader(),
                keyFileSource: (@Sendable (String) -> Swift.Result<SourceFile, KeyFileError>)? = nil) {
        self.maxFileSize = maxFileSize
        self.reader = reader
        self.keyFileSource = keyFileSource
    }

    /// The outcome of loading: the set, every diagnostic, and whether input could not be read.
    public struct Result: Sendable {
        public var policySet: PolicySet
        public var diagnostics: DiagnosticBag
        /// True when a path or file could not be read (the CLI exits 2).
        public var hadIOFailure: Bool

        public init(policySet: PolicySet, diagnostics: DiagnosticBag, hadIOFailure: Bool) {
            self.policySet = policySet
            self.diagnostics = diagnostics
            self.hadIOFailure = hadIOFailure
        }
    }

    public func load(paths: [String]) -> Result {
        var diagnostics = DiagnosticBag()
        var ioFailure = false
        var found: [String] = []
        var inputs: [(path: String, isDirectory: Bool)] = []
        for path in paths {
            let clean = Self.cleanPath(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: clean, isDirectory: &isDirectory) else {
                diagnostics.error(.fileUnreadable, "no such file or directory: `\(path)`", at: nil)
                ioFailure = true
                continue
            }
            inputs.append((clean, isDirectory.boolValue))
            if isDirectory.boolValue {
                let before = found.count
                found.append(contentsOf: Self.policyFiles(under: clean))
                if found.count == before {
                    diagnostics.warning(.noPolicyFiles, "no policy files (`*.yaml`, `*.yml`) under `\(path)`", at: nil)
                }
            } else {
                found.append(clean)
            }
        }
        let sortedPaths = Array(Set(found)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var files: [SourceFile] = []
        for path in sortedPaths {
            switch readFile(path) {
            case .success(let file): files.append(file)
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
                if diagnostic.code == .fileUnreadable { ioFailure = true }
            }
        }
        var (policySet, decodeDiagnostics) = decode(files: files)
        policySet.root = PolicyRoot(inputs: inputs, workingDirectory: FileManager.default.currentDirectoryPath)
        diagnostics.append(contentsOf: decodeDiagnostics.diagnostics)
        return Result(policySet: policySet, diagnostics: diagnostics, hadIOFailure: ioFailure)
    }

    /// Parses and decodes already-read files; no file-system access except `jwksFile`.
    public func decode(files: [SourceFile]) -> (PolicySet, DiagnosticBag) {
        var keyFiles: [String: Swift.Result<SourceFile, KeyFileError>] = [:]
        var diagnostics = DiagnosticBag()
        var entries: [AuthenticationEntry] = []
        var incomplete: [EntryParts] = []
        var names: [String: SourceSpan?] = [:]
        for file in files {
            let documents = reader.read(file, diagnostics: &diagnostics)
            for document in documents {
                if case .scalar(let scalar) = document.root.kind, scalar.isNull { continue }
                var decoder = EntryDecoder { relative, policyFile in
                    let path = Self.resolve(relative, from: policyFile.path)
                    if let cached = keyFiles[path] { return cached }
                    let result = self.keyFileSource?(path) ?? self.readKeyFile(path)
                    keyFiles[path] = result
                    return result
                }
                let (name, entry, parts) = decoder.decode(document)
                if let parts { incomplete.append(parts) }
                diagnostics.append(contentsOf: decoder.reader.diagnostics.diagnostics)
                if let name {
                    if let first = names[name.value] {
                        diagnostics.error(.duplicateName, "the authentication name `\(name.value)` is already used", at: name.span,
                                          notes: [DiagnosticNote("first defined here", at: first)],
                                          hint: "names must be unique across the whole policy set")
                        continue
                    }
                    names[name.value] = name.span
                }
                if let entry { entries.append(entry) }
            }
        }
        let loadedKeyFiles = keyFiles.values.compactMap { try? $0.get() }.sorted { $0.path < $1.path }
        return (PolicySet(files: files, keyFiles: loadedKeyFiles, entries: entries, incompleteEntries: incomplete), diagnostics)
    }

    /// Every `*.yaml` / `*.yml` below `directory`, skipping hidden entries and test files.
    static func policyFiles(under directory: String) -> [String] {
        var visited: Set<String> = []
        return policyFiles(under: directory, visited: &visited)
    }

    /// `visited` holds the real paths of directories already walked, so a symbolic link
    /// that points back up the tree cannot make the walk loop.
    static func policyFiles(under directory: String, visited: inout Set<String>) -> [String] {
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else { return [] }
        var result: [String] = []
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory == "." ? name : directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                result.append(contentsOf: policyFiles(under: path, visited: &visited))
            } else if isPolicyFileName(name) {
                result.append(path)
            }
        }
        return result
    }

    /// `*.yaml` or `*.yml`, but not the `*.test.yaml` files of `gatepass test`.
    public static func isPolicyFileName(_ name: String) -> Bool {
        let isYAML = name.hasSuffix(".yaml") || name.hasSuffix(".yml")
        let isTest = name.hasSuffix(".test.yaml") || name.hasSuffix(".test.yml")
        return isYAML && !isTest
    }

    static func resolve(_ relative: String, from policyPath: String) -> String {
        if relative.hasPrefix("/") { return cleanPath(relative) }
        guard let slash = policyPath.lastIndex(of: "/") else { return cleanPath(relative) }
        return cleanPath(String(policyPath[..<slash]) + "/" + relative)
    }

    /// One spelling per path, so reports and bundles do not depend on how a path was
    /// typed: `./Policies//a.yaml` and `Policies/a.yaml` are the same file.
    public static func cleanPath(_ path: String) -> String {
        var path = path
        // An absolute path inside the working directory is shown relative to it, so the
        // bundle's manifest and source map do not depend on where the repository lives.
        let cwd = FileManager.default.currentDirectoryPath
        if path.hasPrefix(cwd + "/") { path = String(path.dropFirst(cwd.count + 1)) }
        let absolute = path.hasPrefix("/")
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    func readFile(_ path: String) -> Swift.Result<SourceFile, Diagnostic> {
        let placeholder = SourceFile(path: path, bytes: [])
        let at = SourceSpan(file: placeholder, start: 0, end: 0)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maxFileSize {
            return .failure(Diagnostic(.error, .fileTooLarge, "the file is \(size) bytes, over the bound of \(maxFileSize) bytes", at: at,
                                       hint: "split the policy set into smaller files"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(Diagnostic(.error, .fileUnreadable, "cannot read the file", at: at))
        }
        if data.count > maxFileSize {
            return .failure(Diagnostic(.error, .fileTooLarge, "the file is \(data.count) bytes, over the bound of \(maxFileSize) bytes", at: at))
        }
        return .success(SourceFile(path: path, bytes: [UInt8](data)))
    }

    func readKeyFile(_ path: String) -> Swift.Result<SourceFile, KeyFileError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(KeyFileError("no such file `\(path)`"))
        }
        if isDirectory.boolValue { return .failure(KeyFileError("`\(path)` is a directory")) }
        switch readFile(path) {
        case .success(let file): return .success(file)
        case .failure(let diagnostic): return .failure(KeyFileError(diagnostic.message))
        }
    }
}
