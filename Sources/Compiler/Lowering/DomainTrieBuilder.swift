import BundleFormat
import FrontEnd

/// Builds the determinised domain trie over reversed host labels.
///
/// Each node stores the domain class for a host that ends there and for a host that
/// continues past it without a matching edge, so a lookup walks the host's labels once
/// from the last (`com`) to the first, never backtracking: cost O(labels).
struct DomainTrieBuilder {
    /// The distinct domain patterns, sorted; a pattern's index is its id.
    let patterns: [DomainPattern]

    private final class Node {
        var children: [String: Node] = [:]
        var exact: Set<Int> = []
        var wildcards: Set<Int> = []
    }

    init(patterns: Set<DomainPattern>) {
        self.patterns = patterns.sorted { $0.sortKey < $1.sortKey }
    }

    func id(of pattern: DomainPattern) -> Int {
        patterns.firstIndex(of: pattern)!
    }

    /// The nodes in breadth-first order with sorted edges, and for each node the sets of
    /// pattern ids for "ends here" and "falls off here". `classOf` turns a set into a class id.
    func build(classOf: (Set<Int>) -> UInt32) -> (nodes: [DomainNode], missingHostClass: UInt32) {
        let root = Node()
        var anyIDs: Set<Int> = []
        for (index, pattern) in patterns.enumerated() {
            switch pattern {
            case .any:
                anyIDs.insert(index)
            case .exact(let host):
                insert(labels: host, into: root).exact.insert(index)
            case .wildcard(let suffix):
                insert(labels: suffix, into: root).wildcards.insert(index)
            }
        }
        // Breadth-first numbering with sorted edges: deterministic output.
        var order: [(Node, Set<Int>)] = [(root, [])]  // node, wildcards of strict ancestors
        var index = 0
        var ids: [ObjectIdentifier: UInt32] = [ObjectIdentifier(root): 0]
        while index < order.count {
            let (node, above) = order[index]
            index += 1
            let inherited = above.union(node.wildcards)
            for label in node.children.keys.sorted() {
                let child = node.children[label]!
                ids[ObjectIdentifier(child)] = UInt32(order.count)
                order.append((child, inherited))
            }
        }
        var nodes: [DomainNode] = []
        nodes.reserveCapacity(order.count)
        for (node, above) in order {
            let edges = node.children.keys.sorted().map { DomainEdge(label: $0, node: ids[ObjectIdentifier(node.children[$0]!)]!) }
            let endSet = anyIDs.union(node.exact).union(above)
            let fallOffSet = anyIDs.union(above).union(node.wildcards)
            nodes.append(DomainNode(edges: edges, endClass: classOf(endSet), fallOffClass: classOf(fallOffSet)))
        }
        return (nodes, classOf(anyIDs))
    }

    private func insert(labels host: String, into root: Node) -> Node {
        var node = root
        for label in host.split(separator: ".").reversed() {
            let key = String(label)
            if let next = node.children[key] {
                node = next
            } else {
                let next = Node()
                node.children[key] = next
                node = next
            }
        }
        return node
    }
}

extension DomainPattern {
    /// Orders patterns: any first, then exact hosts, then wildcards, each by text.
    var sortKey: String {
        switch self {
        case .any: "0"
        case .exact(let host): "1" + host
        case .wildcard(let suffix): "2" + suffix
        }
    }

    /// Whether every host this pattern matches is also matched by `other`.
    func isCovered(by other: DomainPattern) -> Bool {
        switch (other, self) {
        case (.any, _): true
        case (_, .any): false
        case (.exact(let a), .exact(let b)): a == b
        case (.exact, .wildcard): false
        case (.wildcard(let suffix), .exact(let host)): host.hasSuffix("." + suffix)
        case (.wildcard(let a), .wildcard(let b)): a == b || b.hasSuffix("." + a)
        }
    }

    /// Whether some host matches both patterns.
    func intersects(_ other: DomainPattern) -> Bool {
        isCovered(by: other) || other.isCovered(by: self)
    }
}
