import Foundation
import XCTest

/// Runs the built `gatepass` binary, as users and CI scripts do.
struct GatepassProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The form golden files store: the command, its exit status, then both streams.
        func transcript(command: [String]) -> String {
            var text = "$ gatepass \(command.joined(separator: " "))\n"
            text += "exit status: \(status)\n"
            text += "--- stdout\n" + stdout
            text += "--- stderr\n" + stderr
            return text
        }
    }

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["GATEPASS_BIN"] { return URL(fileURLWithPath: path) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Linux the test runner is `<build>/GatepassPackageTests.xctest`; on macOS it sits inside a bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gatepass").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("gatepass")
    }

    static func run(_ arguments: [String], in directory: URL = GoldenFile.repositoryRoot,
                    environment: [String: String] = [:], stdin: Data? = nil) throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
