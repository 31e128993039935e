public import Diagnostics
public import FrontEnd

/// The compiler's whole flow on one screen:
///
///     paths --PolicySetLoader--> PolicySet --Checker--> diagnostics
///           (YAML, structure)              (keys, claims, rules, the set)
///
/// Stages take and return values; only the loader touches the file system.
public struct Pipeline: Sendable {
    public var loader: PolicySetLoader

    public init(loader: PolicySetLoader = PolicySetLoader()) {
        self.loader = loader
    }

    /// Everything `gatepass check` needs to print and decide its exit code.
    public struct CheckOutcome: Sendable {
        public var policySet: PolicySet
        public var diagnostics: DiagnosticBag
        public var hadIOFailure: Bool
        /// Policy files and key files read.
        public var fileCount: Int { policySet.files.count + policySet.keyFiles.count }
    }

    /// Loads and checks a policy set.
    public func check(paths: [String]) -> CheckOutcome {
        let loaded = loader.load(paths: paths)
        var diagnostics = loaded.diagnostics
        let checker = Checker()
        diagnostics.append(contentsOf: checker.check(loaded.policySet).diagnostics.diagnostics)
        return CheckOutcome(policySet: loaded.policySet, diagnostics: diagnostics, hadIOFailure: loaded.hadIOFailure)
    }
}
