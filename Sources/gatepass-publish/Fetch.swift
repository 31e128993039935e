import ArgumentParser
import BundleFormat
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `gatepass-publish fetch URL`: one GET, the body on standard output. `gatepass compile
/// --fetch-jwks` runs it for every remote key set (and discovery document), so the policy
/// CLI needs no HTTP client of its own.
///
/// It fails (one line on standard error, exit status 2) on anything but a `200`, on a
/// body over `--max-bytes`, after `--timeout` seconds, and on a redirect to anything but
/// https on the same host and port. Plain http is spoken only to loopback addresses.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatepass-publish fetch",
        abstract: "Fetch one URL (a JWKS or an OpenID discovery document) and print its body, for gatepass compile --fetch-jwks.",
        discussion: "Exits 0 with the body on standard output, 2 with one line on standard error otherwise."
    )

    @Argument(help: "The https URL (http only to localhost, 127.0.0.0/8 or [::1]).")
    var url: String

    @Option(help: "The largest body accepted, in bytes.")
    var maxBytes: Int = 512 * 1024

    @Option(help: "Seconds before the fetch is abandoned.")
    var timeout: Double = 5

    func validate() throws {
        if maxBytes < 1 { throw ValidationError("--max-bytes must be positive") }
        if !(timeout > 0 && timeout <= 600) { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    /// Runs with `arguments` (after `fetch`) and exits.
    static func main(arguments: [String]) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("gatepass-publish fetch: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    func run() throws {
        guard let target = URL(string: url), let scheme = target.scheme, let host = target.host, !host.isEmpty else {
            throw CLIError("`\(url)` is not a URL")
        }
        guard scheme == "https" || (scheme == "http" && isLoopbackHost(host)) else {
            throw CLIError("`\(url)`: only https is fetched (plain http only from loopback addresses)")
        }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue("application/jwk-set+json, application/json", forHTTPHeaderField: "Accept")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        let state = FetchState(origin: target, maxBytes: maxBytes)
        let session = URLSession(configuration: configuration, delegate: state, delegateQueue: nil)
        session.dataTask(with: request).resume()
        let finished = state.done.wait(timeout: .now() + timeout) == .success
        session.invalidateAndCancel()
        guard finished else { throw CLIError("`\(url)`: no complete answer within \(Self.seconds(timeout))") }
        let body = try state.result(url: url)
        FileHandle.standardOutput.write(body)
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}

/// One fetch's answer, filled by URLSession's delegate callbacks and read once `done` is
/// signalled. The lock guards every field.
final class FetchState: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let origin: URL
    let maxBytes: Int
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var status: Int?
    private var failure: String?

    init(origin: URL, maxBytes: Int) {
        self.origin = origin
        self.maxBytes = maxBytes
    }

    private func fail(_ reason: String) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = reason }
    }

    func result(url: String) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw CLIError("`\(url)`: \(failure)") }
        guard status == 200 else { throw CLIError("`\(url)`: HTTP status \(status.map(String.init) ?? "missing")") }
        return body
    }

    /// Only https on the same host and port is followed.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        guard let next = request.url, next.scheme == "https", next.host?.lowercased() == origin.host?.lowercased(),
              next.port == origin.port else {
            fail("redirected to `\(request.url?.absoluteString ?? "?")`: only a redirect to https on the same host is followed")
            completionHandler(nil)
            return
        }
        completionHandler(request)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let code = (response as? HTTPURLResponse)?.statusCode
        lock.lock()
        status = code
        lock.unlock()
        if code != 200 {
            fail("HTTP status \(code.map(String.init) ?? "missing")")
            completionHandler(.cancel)
        } else if response.expectedContentLength > Int64(maxBytes) {
            fail("the body is \(response.expectedContentLength) bytes, over the bound of \(maxBytes)")
            completionHandler(.cancel)
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        body.append(data)
        let size = body.count
        lock.unlock()
        if size > maxBytes {
            fail("the body is over the bound of \(maxBytes) bytes")
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { fail(Self.describe(error)) }
        done.signal()
    }

    /// URLSession's errors in stable words (libcurl's own texts carry timings).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? URLError else { return error.localizedDescription }
        switch error.code {
        case .cannotConnectToHost: return "cannot connect to the host"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve the host"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "the connection was lost"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "TLS failure (\(error.localizedDescription))"
        case .cancelled: return "cancelled"
        default: return error.localizedDescription
        }
    }
}
