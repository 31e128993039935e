import BundleFormat

/// Which JWS algorithms a set of keys can verify, used when an entry has no `algorithms`.
enum KeyAlgorithms {
    /// Placeholder until keys carry their family: filled in with JOSE.
    static func defaultAlgorithms(for keys: [Key]) -> [String] {
        []
    }
}
