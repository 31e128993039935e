import BundleFormat
import Compiler
import FrontEnd
import XCTest

/// The compiled, determinised tries against `ReferenceMatcher`, a naive reading of the
/// rule semantics over the AST, on seeded random policy sets and requests.
final class DifferentialTests: XCTestCase {
    static let policySets = 48
    static let requestsPerSet = 600

    func testCompiledTriesAgreeWithTheReferenceMatcher() throws {
        try compare(sets: 0..<Self.policySets, entries: 1...6, requests: Self.requestsPerSet)
    }

    /// Over 64 entries, so every entry set spans several words.
    func testLargeSetsAgreeWithTheReferenceMatcher() throws {
        try compare(sets: 1_000..<1_002, entries: 65...80, requests: 250)
    }

    func compare(sets: Range<Int>, entries: ClosedRange<Int>, requests: Int) throws {
        let workspace = try PolicyWorkspace()
        var failures = 0
        for setIndex in sets {
            var generator = RandomPolicySets(seed: 0xD1FF_0000 &+ UInt64(setIndex))
            let text = generator.policyFile(setIndex: setIndex, entries: entries)
            let compiled = try compile([try workspace.write("set-\(setIndex).yaml", text)])
            let program = compiled.program
            let enabled = compiled.policySet.entries.filter(\.enabled.value)
            XCTAssertEqual(program.entries.map(\.name), enabled.map(\.name.value).sorted(), "set \(setIndex)")
            assertDeterministicShape(program, "set \(setIndex)")
            for _ in 0..<requests {
                let request = generator.request()
                let expected = ReferenceMatcher.protecting(enabled, request)
                let actual = protectingNames(program, request)
                guard expected != actual else { continue }
                failures += 1
                if failures <= 5 {
                    XCTFail("""
                        set \(setIndex), request \(request): expected \(expected.sorted()), compiled \(actual.sorted())
                        \(text)
                        """)
                }
            }
        }
        XCTAssertEqual(failures, 0, "requests on which the compiled program and the reference disagree")
    }

    /// A lookup never has a choice to make: edges are strictly sorted (so unique) and
    /// folded edges are keyed by lowercased segments.
    func assertDeterministicShape(_ program: DecisionProgram, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        for node in program.domainNodes {
            XCTAssertEqual(node.edges.map(\.label), node.edges.map(\.label).sorted(), context, file: file, line: line)
            XCTAssertEqual(Set(node.edges.map(\.label)).count, node.edges.count, context, file: file, line: line)
            XCTAssertTrue(node.edges.allSatisfy { $0.label == $0.label.lowercased() }, context, file: file, line: line)
        }
        for node in program.pathNodes {
            for edges in [node.exact, node.folded] {
                XCTAssertEqual(edges.map(\.segment), edges.map(\.segment).sorted(), context, file: file, line: line)
                XCTAssertEqual(Set(edges.map(\.segment)).count, edges.count, context, file: file, line: line)
            }
            XCTAssertTrue(node.folded.allSatisfy { $0.segment == $0.segment.lowercased() }, context, file: file, line: line)
        }
    }
}

/// The names of the entries the compiled program says protect `request`.
func protectingNames(_ program: DecisionProgram, _ request: Request) -> Set<String> {
    let set = TrieWalk.protecting(program, reversedLabels: request.labels.map { Array($0.reversed()) }, segments: request.segments,
                                  method: request.method)
    return Set(set.members.map { program.entries[$0].name })
}
