import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Runtime

/// One GET of a key set or discovery document: conditional on the validators of the
/// last good answer, bounded in time and size, redirects followed only to `https` on the
/// same host and port (at most three), plain http only where the policy allows it.
struct KeySetFetcher: Sendable {
    let fetcher: RemoteFetcher

    /// The validators of the last good answer, sent back as `If-None-Match` and
    /// `If-Modified-Since`.
    struct Validators: Sendable, Equatable {
        var etag: String?
        var lastModified: String?
    }

    enum Answer: Sendable {
        /// A 200: the body, its validators, and how long the caching headers say it is fresh.
        case body([UInt8], Validators, freshFor: Double?)
        /// A 304 to a conditional request.
        case notModified(freshFor: Double?)
    }

    func get(_ url: String, validators: Validators?, allowInsecure: Bool, now: Double) async throws(BundleSourceError) -> Answer {
        var target = url
        for _ in 0..<4 {
            if let problem = KeySetURL.problem(target, allowInsecure: allowInsecure) {
                throw BundleSourceError("`\(RemoteFetcher.redacted(target))` \(problem)")
            }
            var headers: [(name: String, value: String)] = [("Accept", "application/json")]
            if let etag = validators?.etag { headers.append(("If-None-Match", etag)) }
            if let modified = validators?.lastModified { headers.append(("If-Modified-Since", modified)) }
            let response = try await fetcher.get(target, headers: headers, maxBytes: fetcher.limits.maxBytes)
            switch response.status {
            case 200:
                let found = Validators(etag: response.headers.first(name: "etag"), lastModified: response.headers.first(name: "last-modified"))
                return .body(response.body, found, freshFor: HTTPCaching.freshness(response.headers, now: now))
            case 304:
                guard validators != nil else { throw BundleSourceError("\(RemoteFetcher.redacted(target)): 304 Not Modified to an unconditional request") }
                return .notModified(freshFor: HTTPCaching.freshness(response.headers, now: now))
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "location"), KeySetURL.mayRedirect(from: url, to: location) else {
                    throw BundleSourceError("\(RemoteFetcher.redacted(target)): a redirect (\(response.status)) to somewhere other than https on the same host is refused")
                }
                target = location
            default:
                throw BundleSourceError("\(RemoteFetcher.redacted(target)): the server answered \(response.status)")
            }
        }
        throw BundleSourceError("\(RemoteFetcher.redacted(url)): more than three redirects")
    }
}
