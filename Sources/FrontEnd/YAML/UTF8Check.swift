/// Strict UTF-8 validation that reports the offset of the first bad byte.
enum UTF8Check {
    /// The byte offset of the first invalid sequence, or nil when `bytes` is valid UTF-8.
    /// The standard library's decoder refuses overlong forms, surrogates and code points
    /// above U+10FFFF.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
