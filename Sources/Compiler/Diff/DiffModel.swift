public import BundleFormat

/// What kind of change a region went through between two versions of a policy set.
/// The raw values are the names `gatepass diff --fail-on` accepts; the order of the cases
/// is the order of the report, most urgent first.
public enum ChangeClass: String, CaseIterable, Sendable, Hashable, Comparable {
    /// No entry protects the region any more: requests there need no token.
    case newlyPublic = "newly-public"
    /// The region was public and now needs a token.
    case newlyProtected = "newly-protected"
    /// The region stays protected, by another set of entries.
    case moved
    case issuer
    case subject
    /// Verification keys, compared by RFC 7638 thumbprint (an environment secret by its variable).
    case keys
    case audiences
    case algorithms
    /// Claim requirements, including the time claims (`exp` required, clock skew, lifetime).
    case claims
    /// Token locations and whether the token is passed through to the backend.
    case passthrough
    case forwardedClaims = "forwarded-claims"

    public static func < (lhs: ChangeClass, rhs: ChangeClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// True for the classes that describe where a token is needed rather than what it must be.
    public var isRegionClass: Bool {
        self == .newlyPublic || self == .newlyProtected || self == .moved
    }
}

/// A request that lands in a region: a host (nil for a request without one) and a
/// normalised path.
public struct Witness: Sendable, Hashable, CustomStringConvertible {
    public var host: String?
    public var path: String
    /// The methods of a method-split region: known method names, and `other` for every
    /// method outside the standard nine; nil when the region holds every method.
    public var methods: [String]?
    /// The region holds CORS preflights (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) that an entry lets through without a token.
    public var corsPreflight: Bool

    public init(host: String?, path: String, methods: [String]? = nil, corsPreflight: Bool = false) {
        self.host = host
        self.path = path
        self.methods = methods
        self.corsPreflight = corsPreflight
    }

    public var description: String {
        let prefix = corsPreflight ? "OPTIONS(preflight) " : methods.map { $0.joined(separator: "|") + " " } ?? ""
        return prefix + "\(host ?? "(no host)") \(path)"
    }
}

/// One change, grouped over every region where it happens identically (same class, same
/// entries before and after, same details).
public struct Change: Sendable, Hashable {
    public var changeClass: ChangeClass
    /// The entries protecting the regions before; for an entry's attribute, the entry.
    public var before: [String]
    /// The entries protecting the regions after; for an entry's attribute, the entry.
    public var after: [String]
    /// What changed, one line each (`issuer https://a -> https://b`, `+ audience x`).
    public var details: [String]
    /// How many regions of the common refinement show this change.
    public var regionCount: Int
    /// Requests that witness the change, shortest first, at most `DiffOptions.maxWitnesses`.
    public var witnesses: [Witness]
    /// Where the change comes from in the old and in the new sources, sorted.
    public var oldLocations: [SourceLocation]
    public var newLocations: [SourceLocation]

    public init(changeClass: ChangeClass, before: [String], after: [String], details: [String], regionCount: Int,
                witnesses: [Witness], oldLocations: [SourceLocation], newLocations: [SourceLocation]) {
        self.changeClass = changeClass
        self.before = before
        self.after = after
        self.details = details
        self.regionCount = regionCount
        self.witnesses = witnesses
        self.oldLocations = oldLocations
        self.newLocations = newLocations
    }
}

/// The result of comparing two programs region by region.
public struct DiffReport: Sendable, Hashable {
    /// Regions of the common refinement (pairs of path nodes reachable together).
    public var regionCount: Int
    /// Regions with at least one change.
    public var changedRegionCount: Int
    /// Sorted by class, then entries, then details.
    public var changes: [Change]

    public init(regionCount: Int, changedRegionCount: Int, changes: [Change]) {
        self.regionCount = regionCount
        self.changedRegionCount = changedRegionCount
        self.changes = changes
    }

    /// How many changes of each class, for the classes present, in report order.
    public var counts: [(ChangeClass, Int)] {
        ChangeClass.allCases.compactMap { changeClass in
            let count = changes.count { $0.changeClass == changeClass }
            return count == 0 ? nil : (changeClass, count)
        }
    }

    public func contains(_ changeClass: ChangeClass) -> Bool {
        changes.contains { $0.changeClass == changeClass }
    }
}

/// Tuning of the report.
public struct DiffOptions: Sendable, Hashable {
    /// Witness requests kept per change.
    public var maxWitnesses: Int

    public init(maxWitnesses: Int = 3) {
        self.maxWitnesses = maxWitnesses
    }
}
