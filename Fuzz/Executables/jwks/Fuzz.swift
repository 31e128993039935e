import FuzzDriver
import FuzzTargets
import Glibc

/// The `jwks` fuzz target (see Fuzz/Targets): libFuzzer's driver around its entry point.
@main
enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in FuzzTarget.jwks.fuzz(data, size) })
    }
}
