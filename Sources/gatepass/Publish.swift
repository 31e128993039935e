import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `gatepass publish BUNDLE REGISTRY/REPOSITORY:TAG`: runs `gatepass-publish`, the program
/// that pushes a bundle to an OCI registry. It is separate because its HTTP client
/// (Foundation's URLSession) links libcurl, which the policy CLI must not need at run time
/// (its binary needs only glibc, libcrypto and libyaml). It is looked for next to this
/// `gatepass` binary, then on PATH.
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push a compiled bundle to an OCI registry, for gatepassd --bundle-oci (runs gatepass-publish).",
        discussion: """
        Usage: gatepass publish BUNDLE REGISTRY/REPOSITORY:TAG [--trusted-key PUB.pem] [--token-file F | --credentials-file F]. \
        `gatepass publish --help` shows the full help of gatepass-publish. Build it with \
        `swift build -c release --product gatepass-publish` and put it next to gatepass.
        """
    )

    @Argument(parsing: .captureForPassthrough, help: "The arguments of gatepass-publish.")
    var arguments: [String] = []

    func run() throws {
        guard let program = Self.locate() else {
            throw CLIError("`gatepass publish` needs the gatepass-publish program next to gatepass or on PATH; "
                + "build it with `swift build -c release --product gatepass-publish` (it links libcurl, which gatepass itself does not)")
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(program, &argv)
        throw CLIError("cannot run `\(program)`: \(String(cString: strerror(errno)))")
    }

    /// `gatepass-publish` beside the running binary, else the first on PATH.
    static func locate() -> String? {
        var candidates: [String] = []
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((me as NSString).deletingLastPathComponent + "/gatepass-publish")
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(String(directory) + "/gatepass-publish")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
