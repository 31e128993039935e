public import AsyncHTTPClient
import BundleFormat
import Runtime
import NIOCore
import NIOHTTP1

/// GET requests for the remote bundle sources, on async-http-client: bounded time and
/// size, no automatic redirects (a redirect is followed only where a source allows it,
/// and credentials never go to another host), plain HTTP only to loopback.
public struct RemoteFetcher: Sendable {
    let client: HTTPClient
    let limits: BundleFetchLimits

    /// A client for bundle fetches: redirects off, connect timeout a few seconds.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: .seconds(30)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public init(client: HTTPClient, limits: BundleFetchLimits = BundleFetchLimits()) {
        self.client = client
        self.limits = limits
    }

    struct Response: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// One GET, within `limits.timeout` from the first byte sent to the last byte of the
    /// body (a server that sends the head and then stalls is cut off too). `maxBytes` caps
    /// the body; larger bodies fail without being read whole.
    func get(_ url: String, headers: [(name: String, value: String)], maxBytes: Int) async throws(BundleSourceError) -> Response {
        let timeout = limits.timeout
        let result = await withTaskGroup(of: Result<Response, BundleSourceError>?.self) { group in
            group.addTask {
                do throws(BundleSourceError) {
                    return .success(try await self.getUnbounded(url, headers: headers, maxBytes: maxBytes))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return .failure(BundleSourceError("\(RemoteFetcher.redacted(url)): timed out"))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(BundleSourceError("\(RemoteFetcher.redacted(url)): cancelled"))
        }
        return try result.get()
    }

    private func getUnbounded(_ url: String, headers: [(name: String, value: String)], maxBytes: Int) async throws(BundleSourceError) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let nanoseconds = limits.timeout.components.seconds * 1_000_000_000 + limits.timeout.components.attoseconds / 1_000_000_000
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(nanoseconds))
            if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
                throw BundleSourceError("\(RemoteFetcher.redacted(url)): the response is \(length) bytes, over the limit of \(maxBytes)")
            }
            var body = try await response.body.collect(upTo: maxBytes)
            return Response(status: Int(response.status.code), headers: response.headers, body: body.readBytes(length: body.readableBytes) ?? [])
        } catch let error as BundleSourceError {
            throw error
        } catch is NIOTooManyBytesError {
            throw BundleSourceError("\(RemoteFetcher.redacted(url)): the response is over the limit of \(maxBytes) bytes")
        } catch {
            throw BundleSourceError("\(RemoteFetcher.redacted(url)): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: return "\(client)"
            }
        }
        return "\(error)"
    }

    /// `url` without user information or a query (which may hold credentials).
    static func redacted(_ url: String) -> String {
        var text = url
        if let query = text.firstIndex(of: "?") { text = String(text[..<query]) + "?…" }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           !text[scheme.upperBound..<at].contains("/") {
            text = String(text[..<scheme.upperBound]) + "…@" + String(text[text.index(after: at)...])
        }
        return text
    }

    /// The scheme and host of an `http(s)://` URL (no user information, a numeric port if
    /// any); nil for anything else. One parser for bundle and key set URLs.
    static func schemeAndHost(_ url: String) -> (scheme: String, host: String)? {
        KeySetURL.schemeAndHost(url).map { ($0.scheme, $0.host) }
    }
}

/// `--bundle-url`: a bundle on an HTTP server, polled with `If-None-Match`; a 304 keeps
/// the bundle. https, or plain http to a loopback address.
public struct HTTPBundleSource: BundleSource {
    public let kind = "http"
    let url: String
    let fetcher: RemoteFetcher
    let credentials: BundleCredentials

    public init(url: String, fetcher: RemoteFetcher, credentials: BundleCredentials = .none) throws(BundleSourceError) {
        guard let (scheme, host) = RemoteFetcher.schemeAndHost(url) else {
            throw BundleSourceError("`\(RemoteFetcher.redacted(url))` is not an http(s) URL with a host (and no user information)")
        }
        if scheme == "http" && !isLoopbackHost(host) {
            throw BundleSourceError("`\(RemoteFetcher.redacted(url))`: plain http is allowed only to a loopback address; use https")
        }
        self.url = url
        self.fetcher = fetcher
        self.credentials = credentials
    }

    public var location: String { RemoteFetcher.redacted(url) }

    public func fetch(ifChangedFrom tag: String?, force: Bool) async throws(BundleSourceError) -> BundleFetch {
        var headers = credentials.headers
        if !force, let tag, tag.hasPrefix("etag:") { headers.append(("If-None-Match", String(tag.dropFirst(5)))) }
        let response = try await fetcher.get(url, headers: headers, maxBytes: fetcher.limits.maxBytes)
        switch response.status {
        case 304:
            guard tag != nil else { throw BundleSourceError("\(location): 304 Not Modified to a request without If-None-Match") }
            return .unchanged
        case 200:
            if let etag = response.headers.first(name: "etag"), !etag.isEmpty { return .bundle(response.body, tag: "etag:" + etag) }
            return .bundle(response.body, tag: "body")
        case 300..<400:
            throw BundleSourceError("\(location): the server redirects (\(response.status)); give the final URL")
        default:
            throw BundleSourceError("\(location): the server answered \(response.status)")
        }
    }
}
