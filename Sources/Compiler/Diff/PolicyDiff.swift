public import BundleFormat

/// The semantic diff of two decision programs: the common refinement of their domain
/// and path regions, and per region what a request there meets on each side.
///
///     old, new --RegionWalk--> regions --compare each--> changes --group--> DiffReport
///
/// A pure function of the two programs: no files, no clock.
public enum PolicyDiff {
    public static func compare(old: DecisionProgram, new: DecisionProgram, options: DiffOptions = DiffOptions()) -> DiffReport {
        let regions = RegionWalk(old: old, new: new, maxWitnesses: options.maxWitnesses).regions()
        let oldByName = Dictionary(uniqueKeysWithValues: old.entries.map { ($0.name, $0) })
        let newByName = Dictionary(uniqueKeysWithValues: new.entries.map { ($0.name, $0) })
        var entryChanges: [String: [EntryChange]] = [:]
        func attributeChanges(_ name: String) -> [EntryChange] {
            if let known = entryChanges[name] { return known }
            let changes = EntryComparison.changes(old: old, oldByName[name]!, new: new, newByName[name]!)
            entryChanges[name] = changes
            return changes
        }

        var groups: [GroupKey: Change] = [:]
        var changedRegions = 0
        var regionCount = 0
        for nodeRegion in regions {
          for region in methodRegions(old: old, new: new, nodeRegion) {
            regionCount += 1
            let before = region.old.protecting.members.map { old.entries[$0].name }
            let after = region.new.protecting.members.map { new.entries[$0].name }
            var found: [(GroupKey, [SourceLocation], [SourceLocation])] = []
            let regionClass: ChangeClass? = switch (before.isEmpty, after.isEmpty) {
            case (false, true): .newlyPublic
            case (true, false): .newlyProtected
            case (false, false) where before != after: .moved
            default: nil
            }
            if let regionClass {
                let key = GroupKey(changeClass: regionClass, before: before, after: after, details: [])
                found.append((key, locations(old, region.old.matchedRules, before), locations(new, region.new.matchedRules, after)))
            }
            for name in Set(before).intersection(after).sorted() {
                for change in attributeChanges(name) {
                    let key = GroupKey(changeClass: change.changeClass, before: [name], after: [name], details: change.details)
                    found.append((key, change.oldLocations, change.newLocations))
                }
            }
            if !found.isEmpty { changedRegions += 1 }
            for (key, oldLocations, newLocations) in found {
                var change = groups[key] ?? Change(changeClass: key.changeClass, before: key.before, after: key.after, details: key.details,
                                                   regionCount: 0, witnesses: [], oldLocations: [], newLocations: [])
                change.regionCount += 1
                for witness in region.witnesses where change.witnesses.count < options.maxWitnesses {
                    change.witnesses.append(witness)
                }
                change.oldLocations = EntryComparison.sorted(change.oldLocations + oldLocations)
                change.newLocations = EntryComparison.sorted(change.newLocations + newLocations)
                groups[key] = change
            }
          }
        }
        let changes = groups.values.sorted { GroupKey(of: $0) < GroupKey(of: $1) }
        return DiffReport(regionCount: regionCount, changedRegionCount: changedRegions, changes: changes)
    }

    /// What a request of some methods meets at one side's path node.
    struct Outcome: Hashable {
        var protecting: EntrySet
        var matchedRules: [UInt32]
    }

    /// A region of the common refinement split by request method: the path-node pair, the
    /// outcome on each side, and witnesses carrying the methods.
    struct MethodRegion {
        var old: Outcome
        var new: Outcome
        var witnesses: [Witness]
    }

    /// The request kinds: the nine known methods (by `MethodMask` bit), any other method,
    /// and a CORS preflight. A region whose kinds all meet the same outcomes on both sides
    /// stays one region (witnesses without methods); otherwise each group of kinds with
    /// equal outcomes is a region of its own.
    static func methodRegions(old: DecisionProgram, new: DecisionProgram, _ region: Region) -> [MethodRegion] {
        let oldNode = old.pathNodes[Int(region.oldNode)], newNode = new.pathNodes[Int(region.newNode)]
        let oldCors = old.entries.contains(where: \.allowCorsPreflight), newCors = new.entries.contains(where: \.allowCorsPreflight)
        if oldNode.methodSplits.isEmpty && newNode.methodSplits.isEmpty && !oldCors && !newCors {
            return [MethodRegion(old: Outcome(protecting: oldNode.protecting, matchedRules: oldNode.matchedRules),
                                 new: Outcome(protecting: newNode.protecting, matchedRules: newNode.matchedRules), witnesses: region.witnesses)]
        }
        func outcome(_ program: DecisionProgram, _ node: PathNode, bit: Int?, preflight: Bool) -> Outcome {
            let (protecting, matched) = node.outcome(methodBit: bit)
            guard preflight else { return Outcome(protecting: protecting, matchedRules: matched) }
            var remaining = EntrySet(count: program.entries.count)
            for index in protecting.members where !program.entries[index].allowCorsPreflight { remaining.insert(index) }
            return Outcome(protecting: remaining, matchedRules: matched)
        }
        // Kinds 0...8: known methods; 9: any other method.
        var groups: [(old: Outcome, new: Outcome, methods: [String])] = []
        for kind in 0...MethodMask.known.count {
            let bit: Int? = kind < MethodMask.known.count ? kind : nil
            let pair = (outcome(old, oldNode, bit: bit, preflight: false), outcome(new, newNode, bit: bit, preflight: false))
            let name = bit.map { MethodMask.known[$0] } ?? "other"
            if let index = groups.firstIndex(where: { $0.old == pair.0 && $0.new == pair.1 }) {
                groups[index].methods.append(name)
            } else {
                groups.append((pair.0, pair.1, [name]))
            }
        }
        var result = groups.map { group in
            MethodRegion(old: group.old, new: group.new, witnesses: region.witnesses.map {
                Witness(host: $0.host, path: $0.path, methods: groups.count == 1 ? nil : group.methods)
            })
        }
        let preflight = (outcome(old, oldNode, bit: MethodMask.optionsBit, preflight: true),
                         outcome(new, newNode, bit: MethodMask.optionsBit, preflight: true))
        let options = (outcome(old, oldNode, bit: MethodMask.optionsBit, preflight: false),
                       outcome(new, newNode, bit: MethodMask.optionsBit, preflight: false))
        // A preflight that meets what any `OPTIONS` request meets is already in that region.
        if preflight.0 != options.0 || preflight.1 != options.1 {
            result.append(MethodRegion(old: preflight.0, new: preflight.1, witnesses: region.witnesses.map {
                Witness(host: $0.host, path: $0.path, methods: ["OPTIONS"], corsPreflight: true)
            }))
        }
        return result
    }

    /// Where a region's meaning comes from on one side: the rules that match there, else
    /// the declarations of the entries that protect it (whitelist entries protect
    /// everything their rules do not match).
    static func locations(_ program: DecisionProgram, _ matchedRules: [UInt32], _ entries: [String]) -> [SourceLocation] {
        let rules = matchedRules.map { program.sourceMap[Int(program.rules[Int($0)].source)] }
        if !rules.isEmpty { return rules }
        return program.entries.filter { entries.contains($0.name) }.map { program.sourceMap[Int($0.source)] }
    }

    struct GroupKey: Hashable, Comparable {
        var changeClass: ChangeClass
        var before: [String]
        var after: [String]
        var details: [String]

        init(changeClass: ChangeClass, before: [String], after: [String], details: [String]) {
            self.changeClass = changeClass
            self.before = before
            self.after = after
            self.details = details
        }

        init(of change: Change) {
            self.init(changeClass: change.changeClass, before: change.before, after: change.after, details: change.details)
        }

        static func < (a: GroupKey, b: GroupKey) -> Bool {
            if a.changeClass != b.changeClass { return a.changeClass < b.changeClass }
            if a.before != b.before { return a.before.lexicographicallyPrecedes(b.before) }
            if a.after != b.after { return a.after.lexicographicallyPrecedes(b.after) }
            return a.details.lexicographicallyPrecedes(b.details)
        }
    }
}
