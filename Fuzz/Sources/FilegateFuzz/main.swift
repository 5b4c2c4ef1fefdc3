// The fuzz executable: `filegate-fuzz TARGET [libFuzzer flags] [corpus folders]`, or `filegate-fuzz --list`.
//
// SwiftPM renames an executable's own `main`, so libFuzzer's `main` never runs; this one picks the target and hands
// control to libFuzzer's driver. The target is also put into the environment, where libFuzzer's `-fork` and `-merge`
// children (started with the remaining arguments only) find it.

import CFuzzerDriver
import FuzzHarness
import Glibc

/// The environment variable that names the target.
let targetVariable = "FILEGATE_FUZZ_TARGET"

/// Writes `text` to standard error (`stderr` itself is a C global Swift 6 will not touch).
func printError(_ text: String) {
    var text = text + "\n"
    text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}

/// The target this process fuzzes, read once from the environment (the callback below cannot capture state).
enum Selection {
    static let target: FuzzTarget? = getenv(targetVariable).flatMap { FuzzTarget(rawValue: String(cString: $0)) }
}

var arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "--list" {
    print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
    exit(0)
}
if arguments.count > 1, FuzzTarget(rawValue: arguments[1]) != nil {
    setenv(targetVariable, arguments[1], 1)
    arguments.remove(at: 1)
}
guard Selection.target != nil else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    printError("usage: filegate-fuzz TARGET [libFuzzer flags] [corpus folders]; TARGET is one of: \(names)")
    exit(2)
}

// libFuzzer keeps argv for the whole run, so these C strings are never freed.
var argc = Int32(arguments.count)
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = .allocate(capacity: arguments.count + 1)
for (index, argument) in arguments.enumerated() {
    argv?[index] = strdup(argument)
}
argv?[arguments.count] = nil

let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let target = Selection.target else { return 0 }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.run(bytes)
    } catch {
        // abort() makes libFuzzer save the input as a crash artifact, like any sanitizer report.
        printError("filegate-fuzz: \(target.rawValue): invariant broken: \(error)")
        abort()
    }
    return 0
}
exit(status)
