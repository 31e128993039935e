/// Indented JSON with every object's keys sorted (by UTF-8 bytes), for documents people
/// read and diff, such as the JSON Schemas of `gatepass schema`: the same value always
/// prints as the same bytes.
extension JSONOutput {
    /// Two-space indentation, one member or item per line, and a final newline.
    public var prettySortedText: String {
        var out = ""
        writePretty(into: &out, indent: "")
        out += "\n"
        return out
    }

    func writePretty(into out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writePretty(into: &out, indent: inner)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            let sorted = members.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            out += "{\n"
            for (index, (key, value)) in sorted.enumerated() {
                out += inner
                Self.quote(key, into: &out)
                out += ": "
                value.writePretty(into: &out, indent: inner)
                out += index == sorted.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            write(into: &out)
        }
    }
}
