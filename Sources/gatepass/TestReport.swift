import Diagnostics
import PolicyTesting

/// `gatepass test` results for machines: failing cases as GP700 diagnostics at the case
/// (so `--format json|sarif|github` carry them with the file's diagnostics), and JUnit
/// XML, which GitLab, Jenkins and most CI systems read.
enum TestReport {
    /// One error per failing case, at its `name:` line, saying what differed.
    static func diagnostics(_ results: [PolicyTestRunner.CaseResult]) -> [Diagnostic] {
        results.filter { !$0.passed }.map { result in
            Diagnostic(.error, .testCaseFailed, "test case `\(result.name)` failed: " + result.mismatches.joined(separator: "; "),
                       at: result.span, hint: result.actual.isEmpty ? nil : "actual: \(result.actual)")
        }
    }

    /// A JUnit XML document: one `testsuite` per test file, one `testcase` per case, and a
    /// `failure` (with the explanation) for each failing case.
    static func junit(_ results: [PolicyTestRunner.CaseResult], diagnostics: [Diagnostic]) -> String {
        var files: [String] = []
        var byFile: [String: [PolicyTestRunner.CaseResult]] = [:]
        for result in results {
            if byFile[result.file] == nil { files.append(result.file) }
            byFile[result.file, default: []].append(result)
        }
        let failures = results.count { !$0.passed }
        let errors = diagnostics.filter { $0.severity == .error }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"gatepass test\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors.count)\">\n"
        if !errors.isEmpty {
            // Problems of the policy or test files: the run cannot be trusted, so they are errors.
            xml += "  <testsuite name=\"gatepass check\" tests=\"\(errors.count)\" failures=\"0\" errors=\"\(errors.count)\">\n"
            for error in errors {
                let place = error.span?.description ?? "gatepass"
                xml += "    <testcase classname=\"\(escape(place))\" name=\"\(escape(error.code.id))\">\n"
                xml += "      <error message=\"\(escape(error.message))\" type=\"\(escape(error.code.id))\"/>\n"
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        for file in files {
            let cases = byFile[file] ?? []
            xml += "  <testsuite name=\"\(escape(file))\" tests=\"\(cases.count)\" failures=\"\(cases.count { !$0.passed })\" errors=\"0\">\n"
            for result in cases {
                let opening = "    <testcase classname=\"\(escape(file))\" name=\"\(escape(result.name))\" file=\"\(escape(file))\" line=\"\(result.span.startLocation.line)\""
                if result.passed {
                    xml += opening + "/>\n"
                    continue
                }
                xml += opening + ">\n"
                let body = (result.mismatches + ["actual: \(result.actual)"] + result.explanation.map { "  " + $0 }).joined(separator: "\n")
                xml += "      <failure message=\"\(escape(result.mismatches.joined(separator: "; ")))\" type=\"GP700\">\(escape(body, inAttribute: false))</failure>\n"
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    /// XML text and attribute escaping; characters XML 1.0 cannot hold become U+FFFD.
    static func escape(_ text: String, inAttribute: Bool = true) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += inAttribute ? "&#10;" : "\n"
            case "\t": out += inAttribute ? "&#9;" : "\t"
            default:
                let value = scalar.value
                let allowed = value == 0x0D || (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value) || value >= 0x10000
                out.unicodeScalars.append(allowed ? scalar : "\u{FFFD}")
            }
        }
        return out
    }
}
