/// Diagnostics for machines: JSON, SARIF 2.1.0 and GitHub workflow annotations.
public enum MachineRenderer {
    /// A JSON array with one object per diagnostic: code, severity, message, file, line,
    /// column, end line, end column, notes and hint.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        if diagnostics.isEmpty { return "[]\n" }
        return "[\n" + diagnostics.map { object($0).text }.joined(separator: ",\n") + "\n]\n"
    }

    static func object(_ diagnostic: Diagnostic) -> JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("code", .string(diagnostic.code.id)),
            ("severity", .string(diagnostic.severity.rawValue)),
            ("message", .string(diagnostic.message)),
        ]
        members += location(diagnostic.span)
        members.append(("notes", .array(diagnostic.notes.map { note in
            .object([("message", .string(note.message))] + location(note.span))
        })))
        members.append(("hint", diagnostic.hint.map { .string($0) } ?? .null))
        return .object(members)
    }

    static func location(_ span: SourceSpan?) -> [(String, JSONOutput)] {
        guard let span else {
            return [("file", .null), ("line", .null), ("column", .null), ("endLine", .null), ("endColumn", .null)]
        }
        let start = span.startLocation, end = span.endLocation
        return [("file", .string(span.file.path)), ("line", .int(start.line)), ("column", .int(start.column)),
                ("endLine", .int(end.line)), ("endColumn", .int(end.column))]
    }

    /// A SARIF 2.1.0 log with one run: the rules are the diagnostic codes used.
    public static func sarif(_ diagnostics: [Diagnostic], toolVersion: String) -> String {
        var usedCodes: [DiagnosticCode] = []
        for diagnostic in diagnostics where !usedCodes.contains(diagnostic.code) { usedCodes.append(diagnostic.code) }
        usedCodes.sort { $0.id < $1.id }
        let rules: [JSONOutput] = usedCodes.map { code in
            .object([
                ("id", .string(code.id)),
                ("shortDescription", .object([("text", .string(code.title))])),
                ("helpUri", .string("https://gatepass.dev/docs/diagnostics#\(code.id.lowercased())")),
            ])
        }
        let results: [JSONOutput] = diagnostics.map { diagnostic in
            var members: [(String, JSONOutput)] = [
                ("ruleId", .string(diagnostic.code.id)),
                ("ruleIndex", .int(usedCodes.firstIndex(of: diagnostic.code) ?? 0)),
                ("level", .string(level(diagnostic.severity))),
                ("message", .object([("text", .string(diagnostic.message + (diagnostic.hint.map { "\nhelp: \($0)" } ?? "")))])),
            ]
            if let span = diagnostic.span { members.append(("locations", .array([sarifLocation(span, message: nil)]))) }
            let related = diagnostic.notes.compactMap { note in note.span.map { sarifLocation($0, message: note.message) } }
            if !related.isEmpty { members.append(("relatedLocations", .array(related))) }
            return .object(members)
        }
        let log: JSONOutput = .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("gatepass")),
                    ("version", .string(toolVersion)),
                    ("informationUri", .string("https://gatepass.dev")),
                    ("rules", .array(rules)),
                ]))])),
                ("results", .array(results)),
            ])])),
        ])
        return log.text + "\n"
    }

    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    static func sarifLocation(_ span: SourceSpan, message: String?) -> JSONOutput {
        let start = span.startLocation, end = span.endLocation
        var members: [(String, JSONOutput)] = [
            ("physicalLocation", .object([
                ("artifactLocation", .object([("uri", .string(span.file.path))])),
                ("region", .object([
                    ("startLine", .int(start.line)), ("startColumn", .int(start.column)),
                    ("endLine", .int(end.line)), ("endColumn", .int(max(end.column, end.line == start.line ? start.column + 1 : end.column))),
                ])),
            ])),
        ]
        if let message { members.append(("message", .object([("text", .string(message))]))) }
        return .object(members)
    }

    /// GitHub workflow commands: `::error file=…,line=…,col=…,title=GP203::message`.
    public static func github(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for diagnostic in diagnostics {
            let command = switch diagnostic.severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "notice"
            }
            var properties: [String] = []
            if let span = diagnostic.span {
                let start = span.startLocation, end = span.endLocation
                properties.append("file=\(escapeProperty(span.file.path))")
                properties.append("line=\(start.line)")
                properties.append("col=\(start.column)")
                if end.line != start.line { properties.append("endLine=\(end.line)") }
                if end.line == start.line, end.column > start.column { properties.append("endColumn=\(end.column)") }
            }
            properties.append("title=\(diagnostic.code.id)")
            var message = diagnostic.message
            for note in diagnostic.notes {
                message += "\nnote: \(note.message)" + (note.span.map { " (\($0))" } ?? "")
            }
            if let hint = diagnostic.hint { message += "\nhelp: \(hint)" }
            out += "::\(command) \(properties.joined(separator: ","))::\(escapeData(message))\n"
        }
        return out
    }

    /// Workflow command data: `%`, CR and LF are escaped.
    static func escapeData(_ text: String) -> String {
        text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    /// Workflow command properties also escape `:` and `,`.
    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    /// Replaces every occurrence without Foundation.
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
