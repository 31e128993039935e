import Foundation
import XCTest

/// A running `gatepassd` (the built binary) on loopback: started with port 0 listeners,
/// ready once its startup line names the bound addresses (awaited with a bound), stopped
/// by its PID. Its output is kept for failure messages.
final class GatepassdProcess: @unchecked Sendable {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["GATEPASSD_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gatepassd").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("gatepassd")
    }

    let process = Process()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    /// Everything the process printed so far.
    var output: String { lock.withLock { "--- stdout\n\(stdoutText)--- stderr\n\(stderrText)" } }

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.stdoutText += String(decoding: data, as: UTF8.self) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.stderrText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// The addresses of the startup line by listener name, waiting at most `timeout` seconds.
    func awaitListening(timeout: Double = 20) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let line = lock.withLock { stdoutText.split(separator: "\n").first { $0.hasPrefix("gatepassd: listening ") } }
            if let line {
                var addresses: [String: String] = [:]
                for part in line.dropFirst("gatepassd: listening ".count).split(separator: " ") {
                    let pieces = part.split(separator: "=", maxSplits: 1)
                    if pieces.count == 2 { addresses[String(pieces[0])] = String(pieces[1]) }
                }
                return addresses
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw StartupTimeout(output: output)
    }

    /// Waits for the process to exit by itself (at most `timeout` seconds) and returns its status.
    func awaitExit(timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { return nil }
        Thread.sleep(forTimeInterval: 0.1) // let the pipe handlers drain
        return process.terminationStatus
    }

    /// SIGTERM, then the exit status (SIGKILL after the bound).
    func stop() -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        if let status = awaitExit(timeout: 10) { return status }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    /// Runs to completion (for startup failures) and returns the status and output.
    static func runToExit(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32?, output: String) {
        let daemon = try GatepassdProcess(arguments, environment: environment)
        let status = daemon.awaitExit()
        if status == nil { _ = daemon.stop() }
        return (status, daemon.output)
    }
}

/// gatepassd did not announce its listeners in time (or exited first).
struct StartupTimeout: Error, CustomStringConvertible {
    let output: String
    var description: String { "gatepassd did not print its startup line\n\(output)" }
}
