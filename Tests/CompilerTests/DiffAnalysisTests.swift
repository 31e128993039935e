import BundleFormat
import Compiler
import Diagnostics
import XCTest

/// `PolicyDiff` on programs compiled from in-memory policies: every change class, the
/// witnesses, and the completeness of the common refinement.
final class DiffAnalysisTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/diff")

    /// An entry with an environment HMAC key, so no key material is needed.
    func entry(_ name: String, mode: String = "blacklist", issuer: String = "https://issuer.example", extra: String = "",
               rules: [String]) -> String {
        """
        version: 1
        name: \(name)
        issuer: \(issuer)
        algorithms: [HS256]
        jwks: { keys: [ { kty: oct, kid: \(name)-key, alg: HS256, kEnv: SECRET_\(name.uppercased().replacingOccurrences(of: "-", with: "_")) } ] }
        \(extra)
        authorization:
          mode: \(mode)
          rules:
        \(rules.map { "    - \($0)" }.joined(separator: "\n"))
        """
    }

    func program(_ documents: String..., file: StaticString = #filePath, line: UInt = #line) throws -> DecisionProgram {
        let source = SourceFile(path: "policies.yaml", text: documents.joined(separator: "\n---\n"))
        let outcome = Pipeline().compile(files: [source])
        let rendered = TextRenderer().render(outcome.check.diagnostics.sorted)
        return try XCTUnwrap(outcome.program, rendered, file: file, line: line)
    }

    func program(at directory: String) throws -> DecisionProgram {
        let outcome = Pipeline().compile(paths: [Self.fixtures.appendingPathComponent(directory).path])
        return try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
    }

    func changes(_ report: DiffReport, _ changeClass: ChangeClass) -> [Change] {
        report.changes.filter { $0.changeClass == changeClass }
    }

    /// The node pair a witness request reaches, walked with the reference walk.
    func nodes(_ witness: Witness, old: DecisionProgram, new: DecisionProgram) -> (UInt32, UInt32) {
        let labels = witness.host.map { Array($0.split(separator: ".").map(String.init).reversed()) }
        let segments = witness.path.split(separator: "/").map(String.init)
        return (TrieWalk.pathNode(old, domainClass: TrieWalk.domainClass(old, reversedLabels: labels), segments: segments),
                TrieWalk.pathNode(new, domainClass: TrieWalk.domainClass(new, reversedLabels: labels), segments: segments))
    }

    func testIdenticalProgramsHaveNoChanges() throws {
        let policy = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin/** }"]))
        let report = PolicyDiff.compare(old: policy, new: policy)
        XCTAssertEqual(report.changes, [])
        XCTAssertEqual(report.changedRegionCount, 0)
        XCTAssertGreaterThan(report.regionCount, 1)
    }

    func testRemovingABlacklistRuleMakesItsRegionPublic() throws {
        let old = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin/** }",
                                                   "{ domain: api.example.com, path: /reports }"]))
        let new = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin/** }"]))
        let report = PolicyDiff.compare(old: old, new: new)
        XCTAssertEqual(report.changes.map(\.changeClass), [.newlyPublic])
        let change = try XCTUnwrap(report.changes.first)
        XCTAssertEqual(change.before, ["api"])
        XCTAssertEqual(change.after, [])
        XCTAssertEqual(change.witnesses.first, Witness(host: "api.example.com", path: "/reports"))
        XCTAssertEqual(change.oldLocations.map(\.description), ["policies.yaml:11:7"], "the rule that matched before")
        XCTAssertEqual(change.newLocations, [], "nothing protects it now and no rule matches")
    }

    /// A domain that appears only as a wildcard: the hosts under it fall off the trie at a
    /// node without edges, and that node's fall-off class is a region of its own.
    func testAChangeUnderAWildcardOnlyDomainIsReported() throws {
        let old = try program(entry("chat", rules: ["{ domain: \"*.ai.example.com\", path: /v1/chat/** }"]))
        let new = try program(entry("chat", rules: ["{ domain: \"*.ai.example.com\", path: /v1/chat/completions }"]))
        let report = PolicyDiff.compare(old: old, new: new)
        let change = try XCTUnwrap(changes(report, .newlyPublic).first, "\(report.changes)")
        let witness = try XCTUnwrap(change.witnesses.first)
        XCTAssertTrue(witness.host?.hasSuffix(".ai.example.com") ?? false, "\(witness)")
        let (oldNode, newNode) = nodes(witness, old: old, new: new)
        XCTAssertFalse(old.pathNodes[Int(oldNode)].protecting.isEmpty)
        XCTAssertTrue(new.pathNodes[Int(newNode)].protecting.isEmpty)
    }

    /// Attribute changes of an entry whose rules name only a wildcard domain are visible too.
    func testAnAudienceChangeOnAWildcardOnlyEntryIsReported() throws {
        let old = try program(entry("chat", extra: "audiences: [chat]", rules: ["{ domain: \"*.ai.example.com\", path: /v1/** }"]))
        let new = try program(entry("chat", extra: "audiences: [chat, admin]", rules: ["{ domain: \"*.ai.example.com\", path: /v1/** }"]))
        let report = PolicyDiff.compare(old: old, new: new)
        XCTAssertEqual(report.changes.map(\.changeClass), [.audiences])
    }

    func testCaseSensitivityIsAChangeOfTheTriesNotOfTheText() throws {
        let old = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin, ignoreCase: true }"]))
        let new = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin, ignoreCase: false }"]))
        let report = PolicyDiff.compare(old: old, new: new)
        let change = try XCTUnwrap(changes(report, .newlyPublic).first)
        let witness = try XCTUnwrap(change.witnesses.first)
        XCTAssertEqual(witness.path.lowercased(), "/admin")
        XCTAssertNotEqual(witness.path, "/admin", "the exact spelling stays protected")
        XCTAssertTrue(changes(report, .newlyProtected).isEmpty)
    }

    func testNarrowingAWildcardDomainIsWitnessedByAnUnlistedLabel() throws {
        let old = try program(entry("api", rules: ["{ domain: \"*.example.com\", path: /admin }"]))
        let new = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin }"]))
        let change = try XCTUnwrap(changes(PolicyDiff.compare(old: old, new: new), .newlyPublic).first)
        // A host deeper than the exact one falls off the new trie as well.
        XCTAssertEqual(change.witnesses, [Witness(host: "x-unlisted.example.com", path: "/admin"),
                                          Witness(host: "x-unlisted.api.example.com", path: "/admin")])
    }

    func testRequestsWithoutHostAreARegionToo() throws {
        let old = try program(entry("api", rules: ["{ domain: \"*\", path: /admin }"]))
        let new = try program(entry("api", rules: ["{ domain: api.example.com, path: /admin }"]))
        let change = try XCTUnwrap(changes(PolicyDiff.compare(old: old, new: new), .newlyPublic).first)
        XCTAssertEqual(change.witnesses.first, Witness(host: nil, path: "/admin"))
        XCTAssertEqual(change.witnesses.map(\.host), [nil, "x-unlisted", "com"], "no host, and hosts other than api.example.com")
        XCTAssertEqual(change.regionCount, 1, "both reach the same pair of path nodes")
    }

    func testAnAddedEntryMovesTheRegionsItProtects() throws {
        let api = entry("api", rules: ["{ domain: api.example.com, path: /admin/** }"])
        let old = try program(api)
        let new = try program(api, entry("audit", issuer: "https://audit.example", rules: ["{ domain: api.example.com, path: /admin/logs }"]))
        let report = PolicyDiff.compare(old: old, new: new)
        XCTAssertEqual(report.changes.map(\.changeClass), [.moved])
        XCTAssertEqual(report.changes.first?.before, ["api"])
        XCTAssertEqual(report.changes.first?.after, ["api", "audit"])
        XCTAssertEqual(report.changes.first?.witnesses.first, Witness(host: "api.example.com", path: "/admin/logs"))
    }

    func testEntryAttributesAreComparedWhereTheEntryProtectsOnBothSides() throws {
        let rules = ["{ domain: api.example.com, path: /admin/** }"]
        let old = try program(entry("api", extra: "audiences: [a]\nclaims: { scope: { contains: read } }", rules: rules))
        let new = try program(entry("api", issuer: "https://other.example",
                                    extra: "audiences: [b]\nclaims: { scope: { contains: write } }\nforwardClaims: { sub: x-user }", rules: rules))
        let report = PolicyDiff.compare(old: old, new: new)
        XCTAssertEqual(report.changes.map(\.changeClass), [.issuer, .audiences, .claims, .forwardedClaims])
        XCTAssertEqual(changes(report, .issuer).first?.details, ["issuer https://issuer.example -> https://other.example"])
        XCTAssertEqual(changes(report, .audiences).first?.details, ["- audience a", "+ audience b"])
        XCTAssertEqual(changes(report, .forwardedClaims).first?.details, ["+ forward sub -> x-user"])
        XCTAssertEqual(changes(report, .claims).first?.newLocations.map(\.description), ["policies.yaml:2:7", "policies.yaml:7:20"])
    }

    func testTheFixturePairShowsEveryChangeClass() throws {
        let report = PolicyDiff.compare(old: try program(at: "old"), new: try program(at: "new"))
        XCTAssertEqual(Set(report.changes.map(\.changeClass)), Set(ChangeClass.allCases))
        XCTAssertEqual(changes(report, .newlyPublic).first?.witnesses.first, Witness(host: "partner.example.com", path: "/v1/status"))
        XCTAssertEqual(changes(report, .newlyProtected).first?.witnesses.first, Witness(host: "partner.example.com", path: "/healthz"))
        XCTAssertEqual(PolicyDiff.compare(old: try program(at: "new"), new: try program(at: "old")).changes.filter { $0.changeClass == .newlyPublic }
            .first?.witnesses.first, Witness(host: "partner.example.com", path: "/healthz"), "the diff read backwards")
    }

    func testEveryWitnessReachesItsRegion() throws {
        let old = try program(at: "old"), new = try program(at: "new")
        let walk = RegionWalk(old: old, new: new)
        for region in walk.regions() {
            for witness in region.witnesses {
                let reached = nodes(witness, old: old, new: new)
                XCTAssertEqual(reached.0, region.oldNode, "\(witness)")
                XCTAssertEqual(reached.1, region.newNode, "\(witness)")
            }
        }
    }

    /// Completeness: every request built from the labels and segments both sides know (in
    /// several spellings) lands in a region the walk found.
    func testEveryRequestLandsInAFoundRegion() throws {
        let old = try program(at: "old"), new = try program(at: "new")
        let regions = Set(RegionWalk(old: old, new: new).regions().map { "\($0.oldNode),\($0.newNode)" })
        let labels = ["com", "example", "ai", "admin", "hooks", "m", "partner", "zz"]
        var hosts: [[String]?] = [nil]
        for a in labels {
            hosts.append([a])
            for b in labels {
                hosts.append([a, b])
                for c in labels { hosts.append([a, b, c]) }
            }
        }
        hosts += [["com", "example", "ai", "admin"], ["com", "example", "ai", "zz"], ["com", "example", "ai", "admin", "zz"]]
        let words = ["v1", "V1", "chat", "Chat", "models", "INVOKE", "invoke", "api", "billing", "catalog", "Catalog",
                     "healthz", "status", "embeddings", "zz"]
        var paths: [[String]] = [[]]
        for a in words {
            paths.append([a])
            for b in words { paths.append([a, b]) }
        }
        let deep = ["v1", "V1", "models", "chat", "catalog", "invoke", "INVOKE", "zz"]
        for a in deep { for b in deep { for c in deep { paths.append([a, b, c]) } } }
        var checked = 0
        for host in hosts {
            let oldClass = TrieWalk.domainClass(old, reversedLabels: host), newClass = TrieWalk.domainClass(new, reversedLabels: host)
            for path in paths {
                let pair = "\(TrieWalk.pathNode(old, domainClass: oldClass, segments: path)),\(TrieWalk.pathNode(new, domainClass: newClass, segments: path))"
                XCTAssertTrue(regions.contains(pair), "\(host ?? []) \(path) reaches \(pair), which the walk missed")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }
}
