/// The reference walk of a program's tries: from reversed host labels and normalised
/// path segments to the path node that decides the request. The runtime uses its own
/// faster tables built from the same nodes; tests compare both with this walk.
public enum TrieWalk {
    /// The domain class of a host given as labels from the last (`com`) to the first
    /// (compared case-insensitively), or the missing-host class when `labels` is nil.
    public static func domainClass(_ program: DecisionProgram, reversedLabels labels: [String]?) -> UInt32 {
        guard let labels else { return program.missingHostClass }
        var node = program.domainNodes[0]
        for label in labels.map({ $0.lowercased() }) {
            guard let edge = node.edges.first(where: { $0.label == label }) else { return node.fallOffClass }
            node = program.domainNodes[Int(edge.node)]
        }
        return node.endClass
    }

    /// The path node reached from a class's root by the path's segments.
    public static func pathNode(_ program: DecisionProgram, domainClass: UInt32, segments: [String]) -> UInt32 {
        var current = program.domainClasses[Int(domainClass)].pathRoot
        for segment in segments {
            let node = program.pathNodes[Int(current)]
            if let edge = node.exact.first(where: { $0.segment == segment }) {
                current = edge.node
            } else if let edge = node.folded.first(where: { $0.segment == segment.lowercased() }) {
                current = edge.node
            } else {
                current = node.other
            }
        }
        return current
    }

    /// The entries that protect a request of `method`, by walking both tries.
    public static func protecting(_ program: DecisionProgram, reversedLabels: [String]?, segments: [String], method: String = "GET") -> EntrySet {
        let node = pathNode(program, domainClass: domainClass(program, reversedLabels: reversedLabels), segments: segments)
        return program.pathNodes[Int(node)].outcome(methodBit: MethodMask.bit(of: method)).protecting
    }

    /// A label or segment that is no key of `used`, for witnesses that must fall off a
    /// trie: `x-unlisted`, with a numeric suffix when a trie happens to use the word.
    public static func unusedWord(avoiding used: Set<String>) -> String {
        let base = "x-unlisted"
        var word = base
        var suffix = 2
        while used.contains(word) {
            word = base + "-\(suffix)"
            suffix += 1
        }
        return word
    }
}
