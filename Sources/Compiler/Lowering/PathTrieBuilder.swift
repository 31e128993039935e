import BundleFormat
import FrontEnd

/// A rule as the path automaton sees it.
struct PathRule {
    var entry: Int
    var segments: [PathPattern.Segment]
    var matchesSubtree: Bool
    var ignoreCase: Bool
    /// `MethodMask` bits of the rule's `methods`; nil: any method.
    var methods: UInt16?

    init(entry: Int, pattern: PathPattern, ignoreCase: Bool, methods: UInt16? = nil) {
        self.entry = entry
        self.methods = methods
        self.segments = pattern.segments ?? []
        self.matchesSubtree = pattern.segments == nil || pattern.matchesSubtree
        self.ignoreCase = ignoreCase
    }
}

/// Builds determinised path tries by subset construction over rule positions.
///
/// A state is the set of (rule, next segment) positions still alive. Its edges are the
/// literal segments those positions expect: `exact` keys for case-sensitive rules,
/// `folded` (lowercased) keys for `ignoreCase` rules, and one `other` edge for any
/// other segment (`*` and `**` positions). A lookup tries `exact`, then `folded`, then
/// `other`: one step per segment, independent of the number of rules. States are shared
/// between domain classes, since a state depends only on its positions.
struct PathTrieBuilder {
    struct Position: Hashable, Comparable {
        var rule: Int
        var index: Int

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.rule, lhs.index) < (rhs.rule, rhs.index)
        }
    }

    /// A trie state: the live rule positions, and the whitelist entries whose `hosts` do
    /// not cover the domain class (they protect nothing there). The second part never
    /// changes along a path; it only keeps such classes' nodes apart from the others.
    struct State: Hashable {
        var positions: [Position]
        var outOfScope: [Int]
    }

    let rules: [PathRule]
    /// Entry modes, by entry index.
    let modes: [Entry.Mode]
    private(set) var nodes: [PathNode] = []
    private var ids: [State: UInt32] = [:]

    init(rules: [PathRule], modes: [Entry.Mode]) {
        self.rules = rules
        self.modes = modes
    }

    /// The root node for a class whose domain matched `ruleIndices`, where the whitelist
    /// entries `outOfScope` do not apply; builds new states as needed.
    mutating func root(for ruleIndices: [Int], outOfScope: [Int] = []) -> UInt32 {
        let start = State(positions: ruleIndices.sorted().map { Position(rule: $0, index: 0) }, outOfScope: outOfScope.sorted())
        if let id = ids[start] { return id }
        var queue: [State] = [start]
        _ = intern(start, queue: &queue)
        var cursor = 0
        while cursor < queue.count {
            let current = queue[cursor]
            let state = current.positions
            cursor += 1
            let id = ids[current]!
            func next(_ positions: [Position]) -> State { State(positions: positions.sorted(), outOfScope: current.outOfScope) }
            // Group the live positions by what they expect next, so each edge's target is
            // built from its own group plus the positions every segment keeps.
            var exactGroups: [String: [Position]] = [:]
            var foldedGroups: [String: [Position]] = [:]
            var everySegment: [Position] = []
            for position in state {
                let rule = rules[position.rule]
                if position.index < rule.segments.count {
                    let advanced = Position(rule: position.rule, index: position.index + 1)
                    switch rule.segments[position.index] {
                    case .anySegment:
                        everySegment.append(advanced)
                    case .literal(let literal):
                        if rule.ignoreCase {
                            foldedGroups[literal.lowercased(), default: []].append(advanced)
                        } else {
                            exactGroups[literal, default: []].append(advanced)
                        }
                    }
                } else if rule.matchesSubtree {
                    everySegment.append(position)
                }
            }
            var exact: [PathEdge] = []
            for key in exactGroups.keys.sorted() {
                let target = exactGroups[key]! + (foldedGroups[key.lowercased()] ?? []) + everySegment
                exact.append(PathEdge(segment: key, node: intern(next(target), queue: &queue)))
            }
            var folded: [PathEdge] = []
            for key in foldedGroups.keys.sorted() {
                let target = foldedGroups[key]! + everySegment
                folded.append(PathEdge(segment: key, node: intern(next(target), queue: &queue)))
            }
            let other = intern(next(everySegment), queue: &queue)
            nodes[Int(id)].exact = exact
            nodes[Int(id)].folded = folded
            nodes[Int(id)].other = other
        }
        return ids[start]!
    }

    private mutating func intern(_ state: State, queue: inout [State]) -> UInt32 {
        if let id = ids[state] { return id }
        let id = UInt32(nodes.count)
        ids[state] = id
        let matched = state.positions.filter { rules[$0.rule].segments.count == $0.index }.map { UInt32($0.rule) }
        // The node's own outcome holds for methods no rule names; each method whose
        // outcome differs goes into a split, methods with the same outcome together.
        let anyMethod = matched.filter { rules[Int($0)].methods == nil }
        let defaultProtecting = protecting(matched: anyMethod, outOfScope: state.outOfScope)
        var splits: [MethodSplit] = []
        if anyMethod.count != matched.count {
            for bit in MethodMask.known.indices {
                let forMethod = matched.filter { rules[Int($0)].methods.map { $0 & (1 << UInt16(bit)) != 0 } ?? true }
                guard forMethod != anyMethod else { continue }
                let set = protecting(matched: forMethod, outOfScope: state.outOfScope)
                if let index = splits.firstIndex(where: { $0.matchedRules == forMethod && $0.protecting == set }) {
                    splits[index].methods |= 1 << UInt16(bit)
                } else {
                    splits.append(MethodSplit(methods: 1 << UInt16(bit), protecting: set, matchedRules: forMethod))
                }
            }
            splits.sort { $0.methods < $1.methods }
        }
        nodes.append(PathNode(exact: [], folded: [], other: id, protecting: defaultProtecting, matchedRules: anyMethod,
                              methodSplits: splits))
        queue.append(state)
        return id
    }

    /// Blacklist entries protect when one of their rules matched; whitelist entries when none
    /// did, where their `hosts` cover the class.
    private func protecting(matched: [UInt32], outOfScope: [Int]) -> EntrySet {
        var matchedEntries = Set<Int>()
        for rule in matched { matchedEntries.insert(rules[Int(rule)].entry) }
        var set = EntrySet(count: modes.count)
        for (entry, mode) in modes.enumerated() where !outOfScope.contains(entry) {
            let hit = matchedEntries.contains(entry)
            if (mode == .blacklist && hit) || (mode == .whitelist && !hit) { set.insert(entry) }
        }
        return set
    }
}
