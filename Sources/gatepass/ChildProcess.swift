#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished child printed, and its exit status.
struct ChildOutput {
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]
}

/// Why a child could not run to its end.
struct ChildFailure: Error {
    var reason: String
}

/// Runs a program with posix_spawn, reading both output streams with poll until they
/// close; kills it (by its own pid) when its standard output passes `stdoutLimit` bytes
/// or `deadline` seconds pass.
enum ChildProcess {
    static func run(_ arguments: [String], stdoutLimit: Int, deadline: Double) throws(ChildFailure) -> ChildOutput {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw ChildFailure(reason: "cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw ChildFailure(reason: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { throw ChildFailure(reason: "cannot run `\(arguments[0])`: \(String(cString: strerror(spawned)))") }

        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var open = [true, true]
        var failure: String?
        let start = monotonicSeconds()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open.contains(true) && failure == nil {
            let left = deadline - (monotonicSeconds() - start)
            if left <= 0 {
                failure = "no answer within \(Int(deadline))s"
                break
            }
            var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
            for index in 0..<2 where !open[index] { fds[index].fd = -1 }
            let ready = poll(&fds, 2, Int32(min(left * 1000, 1000)))
            if ready < 0 && errno != EINTR {
                failure = "poll failed: \(String(cString: strerror(errno)))"
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count <= 0 {
                    if count == 0 || errno != EINTR { open[index] = false }
                    continue
                }
                if index == 0 {
                    stdout += buffer[0..<count]
                    if stdout.count > stdoutLimit { failure = "the body is over the bound of \(stdoutLimit) bytes" }
                } else if stderr.count < 65_536 {
                    stderr += buffer[0..<count]
                }
            }
        }
        if failure != nil { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if let failure { throw ChildFailure(reason: failure) }
        let exited = status & 0x7F == 0
        return ChildOutput(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), stdout: stdout, stderr: stderr)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
