import BundleFormat

/// Which two inputs were compared, as the reader should see them.
public struct DiffSides: Sendable, Hashable {
    public var oldLabel: String
    public var newLabel: String
    public var oldRevision: String
    public var newRevision: String

    public init(oldLabel: String, newLabel: String, oldRevision: String, newRevision: String) {
        self.oldLabel = oldLabel
        self.newLabel = newLabel
        self.oldRevision = oldRevision
        self.newRevision = newRevision
    }
}

/// The readable report and the pull-request comment. Both open with what a reviewer must
/// see first: the regions that became public.
public enum DiffRendering {
    public static func title(_ changeClass: ChangeClass) -> String {
        switch changeClass {
        case .newlyPublic: "no token needed any more"
        case .newlyProtected: "a token is needed now"
        case .moved: "protected by other entries"
        case .issuer: "the issuer changed"
        case .subject: "the required subject changed"
        case .keys: "verification keys changed"
        case .audiences: "accepted audiences changed"
        case .algorithms: "accepted algorithms changed"
        case .claims: "claim requirements changed"
        case .passthrough: "token locations or passthrough changed"
        case .forwardedClaims: "forwarded claims changed"
        }
    }

    /// `a, b` or `(public)` for no entry.
    public static func entries(_ names: [String]) -> String {
        names.isEmpty ? "(public)" : names.joined(separator: ", ")
    }

    public static func headline(_ change: Change) -> String {
        change.changeClass.isRegionClass
            ? "\(entries(change.before)) -> \(entries(change.after))"
            : "entry \(entries(change.before))"
    }

    static func regions(_ count: Int) -> String { count == 1 ? "1 region" : "\(count) regions" }

    static func summary(_ report: DiffReport) -> String {
        guard !report.changes.isEmpty else { return "no changes (\(regions(report.regionCount)) compared)" }
        let noun = report.changes.count == 1 ? "change" : "changes"
        let classes = report.counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        return "\(report.changes.count) \(noun) in \(report.changedRegionCount) of \(regions(report.regionCount)): \(classes)"
    }

    /// Plain text for a terminal.
    public static func text(_ report: DiffReport, sides: DiffSides) -> String {
        var out = "gatepass diff \(sides.oldLabel) (\(sides.oldRevision)) -> \(sides.newLabel) (\(sides.newRevision))\n"
        out += summary(report) + "\n"
        for changeClass in ChangeClass.allCases {
            let changes = report.changes.filter { $0.changeClass == changeClass }
            guard !changes.isEmpty else { continue }
            out += "\n\(changeClass.rawValue) (\(changes.count)): \(title(changeClass))\n"
            for change in changes {
                out += "  \(headline(change))  [\(regions(change.regionCount))]\n"
                for detail in change.details { out += "      \(detail)\n" }
                for witness in change.witnesses { out += "    request  \(witness)\n" }
                for location in change.oldLocations { out += "    old      \(location)\n" }
                for location in change.newLocations { out += "    new      \(location)\n" }
            }
        }
        return out
    }

    /// GitHub-flavoured Markdown for a pull-request comment.
    public static func markdown(_ report: DiffReport, sides: DiffSides) -> String {
        var out = "## Gatepass policy diff\n\n"
        out += "`\(sides.oldLabel)` (`\(sides.oldRevision)`) → `\(sides.newLabel)` (`\(sides.newRevision)`)\n\n"
        out += "**\(summary(report))**\n"
        let newlyPublic = report.changes.filter { $0.changeClass == .newlyPublic }.reduce(0) { $0 + $1.regionCount }
        if newlyPublic > 0 {
            out += "\n> [!WARNING]\n> \(regions(newlyPublic)) became public: requests there are no longer authenticated. "
            out += "Approve this explicitly.\n"
        }
        guard !report.changes.isEmpty else { return out }
        out += "\n| Change | Count |\n|---|---|\n"
        for (changeClass, count) in report.counts { out += "| `\(changeClass.rawValue)` | \(count) |\n" }
        for changeClass in ChangeClass.allCases {
            let changes = report.changes.filter { $0.changeClass == changeClass }
            guard !changes.isEmpty else { continue }
            out += "\n### `\(changeClass.rawValue)`: \(title(changeClass))\n\n"
            for change in changes {
                out += "- **\(escape(headline(change)))** (\(regions(change.regionCount)))\n"
                for detail in change.details { out += "  - `\(detail)`\n" }
                if !change.witnesses.isEmpty {
                    out += "  - requests: " + change.witnesses.map { "`\($0)`" }.joined(separator: ", ") + "\n"
                }
                if !change.oldLocations.isEmpty {
                    out += "  - old: " + change.oldLocations.map { "`\($0)`" }.joined(separator: ", ") + "\n"
                }
                if !change.newLocations.isEmpty {
                    out += "  - new: " + change.newLocations.map { "`\($0)`" }.joined(separator: ", ") + "\n"
                }
            }
        }
        return out
    }

    /// Markdown's emphasis and table characters in names, escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\*_`|[]#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
