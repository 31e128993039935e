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
        for region in regions {
            let oldNode = old.pathNodes[Int(region.oldNode)], newNode = new.pathNodes[Int(region.newNode)]
            let before = oldNode.protecting.members.map { old.entries[$0].name }
            let after = newNode.protecting.members.map { new.entries[$0].name }
            var found: [(GroupKey, [SourceLocation], [SourceLocation])] = []
            let regionClass: ChangeClass? = switch (before.isEmpty, after.isEmpty) {
            case (false, true): .newlyPublic
            case (true, false): .newlyProtected
            case (false, false) where before != after: .moved
            default: nil
            }
            if let regionClass {
                let key = GroupKey(changeClass: regionClass, before: before, after: after, details: [])
                found.append((key, locations(old, oldNode, before), locations(new, newNode, after)))
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
        let changes = groups.values.sorted { GroupKey(of: $0) < GroupKey(of: $1) }
        return DiffReport(regionCount: regions.count, changedRegionCount: changedRegions, changes: changes)
    }

    /// Where a region's meaning comes from on one side: the rules that match there, else
    /// the declarations of the entries that protect it (whitelist entries protect
    /// everything their rules do not match).
    static func locations(_ program: DecisionProgram, _ node: PathNode, _ entries: [String]) -> [SourceLocation] {
        let rules = node.matchedRules.map { program.sourceMap[Int(program.rules[Int($0)].source)] }
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
