import Compiler
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `compile --fetch-jwks`: fetches each URL by running `gatepass-publish fetch URL` (the
/// program with the HTTP client, so `gatepass` links no libcurl) and reading its standard
/// output, at most `maxBytes` of it, within `timeout` seconds; the helper is killed when
/// either bound is passed. Its one line on standard error becomes the failure's reason.
struct HelperKeyFetcher: RemoteKeyFetching {
    let program: String
    var maxBytes = 512 * 1024
    var timeout = 5.0

    func now() -> UInt64 {
        UInt64(max(0, time(nil)))
    }

    func fetch(_ url: String) -> Result<[UInt8], RemoteFetchFailure> {
        let arguments = [program, "fetch", url, "--max-bytes", String(maxBytes), "--timeout", String(Int(timeout.rounded(.up)))]
        let run: ChildOutput
        do {
            // A little longer than the helper's own timeout, which reports more precisely.
            run = try ChildProcess.run(arguments, stdoutLimit: maxBytes, deadline: timeout + 2)
        } catch {
            return .failure(RemoteFetchFailure(error.reason))
        }
        guard run.status == 0 else {
            var reason = String(decoding: run.stderr.prefix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let prefix = "gatepass-publish fetch: `\(url)`: "
            if reason.hasPrefix(prefix) { reason.removeFirst(prefix.count) }
            if let line = reason.split(separator: "\n").first { reason = String(line) }
            return .failure(RemoteFetchFailure(reason.isEmpty ? "the fetch helper exited with status \(run.status)" : reason))
        }
        return .success(run.stdout)
    }
}
