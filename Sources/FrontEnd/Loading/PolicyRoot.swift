/// The directory a policy set is named relative to in a bundle: the directory given, or
/// for file arguments their common parent. The manifest and the source map record file
/// names relative to it, so the same policy tree compiles to the same bytes wherever it
/// lives (a checkout, a copy in a temporary folder, another working directory), while
/// diagnostics keep naming files as the user gave them.
///
/// Paths are resolved lexically (`.` and `..` by name, no symbolic links followed), the way
/// the user wrote them.
public struct PolicyRoot: Sendable, Hashable {
    /// The root as the user spelled it (clean, possibly relative to the working directory).
    public let directory: String
    /// The absolute, lexically normalised components of the root.
    let components: [String]
    /// What relative paths are resolved against.
    let workingDirectory: String

    /// - Parameter workingDirectory: an absolute path; relative paths are read from it.
    public init(directory: String, workingDirectory: String) {
        self.directory = directory
        self.workingDirectory = workingDirectory
        components = Self.absoluteComponents(directory, workingDirectory: workingDirectory)
    }

    /// The common parent of several inputs, each a directory or a file (whose parent counts).
    public init?(inputs: [(path: String, isDirectory: Bool)], workingDirectory: String) {
        let parents = inputs.map { input in
            let all = Self.absoluteComponents(input.path, workingDirectory: workingDirectory)
            return input.isDirectory ? all : Array(all.dropLast())
        }
        guard var common = parents.first else { return nil }
        for other in parents.dropFirst() {
            common = Array(zip(common, other).prefix { $0 == $1 }.map(\.0))
        }
        let cwd = Self.absoluteComponents(".", workingDirectory: workingDirectory)
        let spelled: String
        if common.starts(with: cwd) {
            let below = common.dropFirst(cwd.count)
            spelled = below.isEmpty ? "." : below.joined(separator: "/")
        } else {
            spelled = "/" + common.joined(separator: "/")
        }
        self.init(directory: spelled, workingDirectory: workingDirectory)
    }

    /// A file's name in the bundle: its path relative to the root (`..` when it lies
    /// outside, as a `jwksFile` next to the policy folder may).
    public func bundleName(of path: String) -> String {
        let file = Self.absoluteComponents(path, workingDirectory: workingDirectory)
        let shared = zip(components, file).prefix { $0 == $1 }.count
        let up = Array(repeating: "..", count: components.count - shared)
        let relative = up + file.dropFirst(shared)
        return relative.isEmpty ? "." : relative.joined(separator: "/")
    }

    /// A bundle name turned back into the user's spelling, for reports.
    public func displayPath(of bundleName: String) -> String {
        PolicySetLoader.cleanPath(directory == "." ? bundleName : directory + "/" + bundleName)
    }

    static func absoluteComponents(_ path: String, workingDirectory: String) -> [String] {
        let full = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        var result: [String] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = result.popLast()
            default: result.append(String(part))
            }
        }
        return result
    }
}
