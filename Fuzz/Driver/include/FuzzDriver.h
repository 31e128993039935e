// libFuzzer's driver (compiler-rt's libclang_rt.fuzzer, linked by -sanitize=fuzzer).
// SwiftPM gives every executable its own entry point (it links `main` to `<module>_main`),
// so the fuzz executables call the driver from Swift's `@main` instead of libFuzzer's main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
