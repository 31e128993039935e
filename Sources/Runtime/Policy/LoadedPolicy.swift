public import BundleFormat
import JOSE

/// An entry ready to verify tokens.
struct RuntimeEntry: Sendable {
    let entry: Entry
    let verifier: JWTVerifier
}

/// A loaded bundle: immutable, `Sendable`, and shared by any number of threads with no
/// locks. The tries are turned into hash tables once, so a decision costs one lookup per
/// host label and per path segment.
public final class LoadedPolicy: Sendable {
    public let program: DecisionProgram
    let entries: [RuntimeEntry]
    let domainTable: [DomainTableNode]
    let classRoots: [UInt32]
    let pathTable: [PathTableNode]
    /// Every forwarded-claim header of every entry, lowercased: removed from every request.
    let forwardedHeaders: Set<String>

    /// The bundle's revision.
    public var revision: String { program.manifest.revision }

    init(program: DecisionProgram, entries: [RuntimeEntry]) {
        self.program = program
        self.entries = entries
        domainTable = program.domainNodes.map { node in
            var edges: [Substring: UInt32] = [:]
            for edge in node.edges { edges[Substring(edge.label)] = edge.node }
            return DomainTableNode(edges: edges, endClass: node.endClass, fallOffClass: node.fallOffClass)
        }
        classRoots = program.domainClasses.map(\.pathRoot)
        pathTable = program.pathNodes.map { node in
            var exact: [Substring: UInt32] = [:]
            for edge in node.exact { exact[Substring(edge.segment)] = edge.node }
            var folded: [Substring: UInt32] = [:]
            for edge in node.folded { folded[Substring(edge.segment)] = edge.node }
            return PathTableNode(exact: exact, folded: folded, other: node.other,
                                 protecting: node.protecting.members, matchedRules: node.matchedRules)
        }
        forwardedHeaders = Set(program.entries.flatMap { $0.forwardedClaims.map(\.header) })
    }
}

struct DomainTableNode: Sendable {
    let edges: [Substring: UInt32]
    let endClass: UInt32
    let fallOffClass: UInt32
}

struct PathTableNode: Sendable {
    let exact: [Substring: UInt32]
    let folded: [Substring: UInt32]
    let other: UInt32
    /// Indices of the entries that protect a path ending here, in name order.
    let protecting: [Int]
    let matchedRules: [UInt32]
}
