public import BundleFormat

/// A region of the common refinement of two programs: a pair of path nodes, one per
/// side, that some request reaches together, with the requests that witness it.
public struct Region: Sendable, Hashable {
    public var oldNode: UInt32
    public var newNode: UInt32
    /// Shortest first; at most the walk's witness bound.
    public var witnesses: [Witness]
}

/// The product walk over both programs' tries. Every request lands in exactly one region,
/// and every region found is reached by its witnesses; so comparing regions compares the
/// programs on all requests, not on the text of the rules.
public struct RegionWalk: Sendable {
    public let old: DecisionProgram
    public let new: DecisionProgram
    public var maxWitnesses: Int

    public init(old: DecisionProgram, new: DecisionProgram, maxWitnesses: Int = 3) {
        self.old = old
        self.new = new
        self.maxWitnesses = maxWitnesses
    }

    // MARK: Domains

    /// Where one side of the domain walk is: at a trie node, or fallen off with a class.
    enum DomainSide: Hashable {
        case node(UInt32)
        case fallen(UInt32)
    }

    struct DomainPair: Hashable {
        var old: UInt32
        var new: UInt32
    }

    /// Every reachable pair of domain classes with the first (shortest) hosts reaching it,
    /// at most `maxWitnesses`; the missing-host pair comes first (its first "host" is nil),
    /// then pairs in breadth-first order.
    func domainPairs() -> [(DomainPair, [String?])] {
        let missing = DomainPair(old: old.missingHostClass, new: new.missingHostClass)
        var order: [DomainPair] = [missing]
        var hosts: [DomainPair: [String?]] = [missing: [nil]]
        func record(_ pair: DomainPair, _ host: String) {
            guard let known = hosts[pair] else {
                order.append(pair)
                hosts[pair] = [host]
                return
            }
            if known.count < maxWitnesses { hosts[pair]!.append(host) }
        }
        struct State: Hashable { var old: DomainSide; var new: DomainSide }
        var queue: [(State, [String])] = [(State(old: .node(0), new: .node(0)), [])]
        var visited: Set<State> = [queue[0].0]
        var head = 0
        while head < queue.count {
            let (state, labels) = queue[head]
            head += 1
            if !labels.isEmpty {
                record(DomainPair(old: endClass(old, state.old), new: endClass(new, state.new)), Self.host(labels))
            }
            // Once both sides have fallen off their tries, more labels change nothing.
            if case .fallen = state.old, case .fallen = state.new { continue }
            let oldEdges = edges(old, state.old), newEdges = edges(new, state.new)
            // A next label that neither side knows: both fall off here. A node without
            // edges still has its own fall-off class (a `*.suffix` pattern ending there).
            let unknown = TrieWalk.unusedWord(avoiding: Set(oldEdges.keys).union(newEdges.keys))
            record(DomainPair(old: fallOffClass(old, state.old), new: fallOffClass(new, state.new)), Self.host([unknown] + labels))
            for label in Set(oldEdges.keys).union(newEdges.keys).sorted() {
                let next = State(old: step(old, state.old, oldEdges[label]), new: step(new, state.new, newEdges[label]))
                if visited.insert(next).inserted { queue.append((next, [label] + labels)) }
            }
        }
        return order.map { ($0, hosts[$0]!) }
    }

    private func edges(_ program: DecisionProgram, _ side: DomainSide) -> [String: UInt32] {
        guard case .node(let index) = side else { return [:] }
        var edges: [String: UInt32] = [:]
        for edge in program.domainNodes[Int(index)].edges { edges[edge.label] = edge.node }
        return edges
    }

    private func step(_ program: DecisionProgram, _ side: DomainSide, _ target: UInt32?) -> DomainSide {
        switch side {
        case .fallen: side
        case .node(let index): target.map(DomainSide.node) ?? .fallen(program.domainNodes[Int(index)].fallOffClass)
        }
    }

    private func endClass(_ program: DecisionProgram, _ side: DomainSide) -> UInt32 {
        switch side {
        case .fallen(let domainClass): domainClass
        case .node(let index): program.domainNodes[Int(index)].endClass
        }
    }

    private func fallOffClass(_ program: DecisionProgram, _ side: DomainSide) -> UInt32 {
        switch side {
        case .fallen(let domainClass): domainClass
        case .node(let index): program.domainNodes[Int(index)].fallOffClass
        }
    }

    /// Labels are collected from the last (`com`) to the first; a host reads the other way.
    static func host(_ labelsFirstToLast: [String]) -> String {
        labelsFirstToLast.joined(separator: ".")
    }

    // MARK: Paths

    struct NodePair: Hashable {
        var old: UInt32
        var new: UInt32
    }

    /// Every region, in the order first reached (missing host first, then hosts and paths
    /// breadth first), with up to `maxWitnesses` requests each.
    public func regions() -> [Region] {
        var order: [NodePair] = []
        var witnesses: [NodePair: [Witness]] = [:]
        for (pair, hosts) in domainPairs() {
            let root = NodePair(old: old.domainClasses[Int(pair.old)].pathRoot, new: new.domainClasses[Int(pair.new)].pathRoot)
            var queue: [(NodePair, [String])] = [(root, [])]
            var visited: Set<NodePair> = [root]
            var head = 0
            while head < queue.count {
                let (nodes, segments) = queue[head]
                head += 1
                let path = "/" + segments.joined(separator: "/")
                let found = hosts.map { Witness(host: $0, path: path) }
                if let known = witnesses[nodes] {
                    // Reached before from another domain: the same region, more witnesses.
                    // Its successors were explored then, so stop here.
                    witnesses[nodes] = Array((known + found).prefix(maxWitnesses))
                    continue
                }
                order.append(nodes)
                witnesses[nodes] = Array(found.prefix(maxWitnesses))
                for segment in candidateSegments(old.pathNodes[Int(nodes.old)], new.pathNodes[Int(nodes.new)]) {
                    let next = NodePair(old: Self.step(old, nodes.old, segment), new: Self.step(new, nodes.new, segment))
                    if visited.insert(next).inserted { queue.append((next, segments + [segment])) }
                }
            }
        }
        return order.map { Region(oldNode: $0.old, newNode: $0.new, witnesses: witnesses[$0]!) }
    }

    /// Segments that together take every distinct pair of transitions out of two nodes:
    /// each exact key, spellings of each case-folded key (which may be an exact key of
    /// one side), and one segment that is no key at all.
    func candidateSegments(_ a: PathNode, _ b: PathNode) -> [String] {
        var candidates: [String] = []
        var seen: Set<String> = []
        var used: Set<String> = []
        func add(_ segment: String) {
            if seen.insert(segment).inserted { candidates.append(segment) }
        }
        // Exact keys, then folded keys as written, then other spellings: the order of the
        // breadth-first walk, so the first witness reads as the rules do.
        for edge in (a.exact + b.exact).sorted(by: { $0.segment < $1.segment }) {
            add(edge.segment)
            used.insert(edge.segment)
            used.insert(edge.segment.lowercased())
        }
        let folded = Set((a.folded + b.folded).map(\.segment)).sorted()
        used.formUnion(folded)
        for key in folded { add(key) }
        for key in folded { for spelling in Self.spellings(key).dropFirst() { add(spelling) } }
        add(TrieWalk.unusedWord(avoiding: used))
        return candidates
    }

    /// The folded key itself, its uppercase and a mixed-case spelling: at least one of
    /// them is an exact key of neither side unless both sides list all three.
    static func spellings(_ folded: String) -> [String] {
        let upper = folded.uppercased()
        var mixed = ""
        var flip = true
        for character in folded {
            if character.isLetter {
                mixed += flip ? character.uppercased() : character.lowercased()
                flip.toggle()
            } else {
                mixed.append(character)
            }
        }
        return [folded, upper, mixed]
    }

    /// One step of a path trie, as `TrieWalk` takes it.
    static func step(_ program: DecisionProgram, _ node: UInt32, _ segment: String) -> UInt32 {
        let current = program.pathNodes[Int(node)]
        if let edge = current.exact.first(where: { $0.segment == segment }) { return edge.node }
        let folded = segment.lowercased()
        if let edge = current.folded.first(where: { $0.segment == folded }) { return edge.node }
        return current.other
    }
}
