import BundleFormat
import Foundation
import Runtime
import Synchronization
import XCTest

/// The concurrent paths under load (run under ThreadSanitizer by `scripts/sanitize thread`):
/// several threads deciding through one `PolicyHolder` while others swap bundles in and
/// out (good ones of two revisions, corrupted ones that must be refused), every decision
/// checked against a single-threaded reference for the revision it was made with.
/// Bounded (a few thousand decisions) so that it stays part of the normal `swift test`.
final class ConcurrentReloadStressTests: XCTestCase {
    struct Outcome: Hashable {
        let verdict: Decision.Verdict
        let status: Int
        let reason: Decision.Reason
        let set: [HTTPHeader]

        init(_ decision: Decision) {
            verdict = decision.verdict
            status = decision.status
            reason = decision.reason
            set = decision.mutations.set
        }
    }

    func testDecidingWhileSwappingBundlesMatchesTheSingleThreadedReference() throws {
        let fixture = try DecisionFixture()
        // Revision A is the fixture; in B the api entry accepts only ES384, so its ES256
        // tokens are refused there: the two revisions decide the same requests differently.
        var programA = fixture.program
        programA.manifest.revision = "A"
        var programB = fixture.program
        programB.manifest.revision = "B"
        let apiIndex = try XCTUnwrap(programB.entries.firstIndex { $0.name == "api" })
        programB.entries[apiIndex].algorithms = ["ES384"]
        let bundles = ["A": BundleWriter().write(programA), "B": BundleWriter().write(programB)]
        var corrupted = try XCTUnwrap(bundles["B"])
        corrupted[corrupted.count / 3] ^= 0x5A

        let token = fixture.apiToken()
        let requests: [HTTPRequest] = [
            HTTPRequest(host: "api.example.com", target: "/v1/items", headers: [HTTPHeader("Authorization", "Bearer \(token)")]),
            HTTPRequest(host: "api.example.com", target: "/v1/items?access_token=\(token)"),
            HTTPRequest(host: "api.example.com", target: "/v1/items", headers: [HTTPHeader("Cookie", "session=\(token)")]),
            HTTPRequest(host: "api.example.com", target: "/v1/items"),
            HTTPRequest(host: "api.example.com", target: "/v1/%2e%2e/x"),
            HTTPRequest(host: "hooks.example.com", target: "/", headers: [HTTPHeader("X-Hook-Token", fixture.hookToken())]),
            HTTPRequest(host: "api.example.com", target: "/public"),
            HTTPRequest(host: "api.example.com", target: "/v1/items", headers: [HTTPHeader("Authorization", "Bearer \(fixture.apiToken(["scope": #""api:read""#]))")]),
        ]

        // The single-threaded reference: each revision loaded on its own, each request decided once.
        let loader = PolicyLoader(environment: { _ in nil })
        var reference: [String: [Outcome]] = [:]
        for (revision, bytes) in bundles {
            let policy = try loader.load(bytes: bytes)
            reference[revision] = requests.map { Outcome(policy.decide($0, now: DecisionFixture.now)) }
        }
        XCTAssertNotEqual(reference["A"], reference["B"], "the two revisions must decide differently")
        let expected = reference

        let holder = PolicyHolder(loader: loader)
        holder.reload(bytes: try XCTUnwrap(bundles["A"]))
        let corruptedBundle = corrupted
        let mismatches = Collector<String>()
        let seen = Collector<String>()
        let deciders = 4, swappers = 2, decisionsPerThread = 600, reloadsPerThread = 150
        let group = DispatchGroup()
        for thread in 0..<(deciders + swappers) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                if thread < deciders {
                    var revisions: Set<String> = []
                    for index in 0..<decisionsPerThread {
                        let which = (index + thread) % requests.count
                        // A snapshot, then a decision on it: exactly the reference of its revision.
                        guard let policy = holder.current else { continue }
                        let outcome = Outcome(policy.decide(requests[which], now: DecisionFixture.now))
                        revisions.insert(policy.revision)
                        if expected[policy.revision]?[which] != outcome {
                            mismatches.add("revision \(policy.revision), request \(which): \(outcome)")
                        }
                        // Through the holder: the reference of one of the revisions.
                        if let decision = holder.decide(requests[which], now: DecisionFixture.now) {
                            let direct = Outcome(decision)
                            if expected.values.allSatisfy({ $0[which] != direct }) {
                                mismatches.add("holder, request \(which): \(direct)")
                            }
                        }
                    }
                    seen.add(contentsOf: revisions)
                } else {
                    for index in 0..<reloadsPerThread {
                        switch index % 3 {
                        case 0: holder.reload(bytes: bundles["A"]!)
                        case 1: holder.reload(bytes: bundles["B"]!)
                        default:
                            if case .loaded = holder.reload(bytes: corruptedBundle) {
                                mismatches.add("a corrupted bundle loaded")
                            }
                        }
                        _ = holder.revision
                        _ = holder.lastError
                    }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 300), .success, "the stress threads did not finish")
        XCTAssertEqual(mismatches.items, [])
        XCTAssertTrue(["A", "B"].contains(try XCTUnwrap(holder.revision)))
        XCTAssertFalse(seen.items.isEmpty)
    }
}

/// Items collected from several threads.
final class Collector<Item: Sendable>: Sendable {
    private let storage = Mutex<[Item]>([])

    func add(_ item: Item) { storage.withLock { $0.append(item) } }
    func add(contentsOf items: some Sequence<Item>) { storage.withLock { $0.append(contentsOf: items) } }
    var items: [Item] { storage.withLock { $0 } }
}
