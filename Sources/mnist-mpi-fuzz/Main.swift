import Foundation
import MNISTMPI

/// Built with libFuzzer (`-DFUZZING`, scripts/fuzz.sh): hands libFuzzer's driver the target
/// named by `FUZZ_TARGET`. Otherwise: `mnist-mpi-fuzz seed DIR` writes each target's seed
/// corpus into DIR/<target>/, and `mnist-mpi-fuzz TARGET FILE...` runs files through a target
/// (to replay a crash, or every committed regression input).
@main
struct FuzzTool {
    static func main() throws {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    FuzzTarget.fromEnvironment.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        #else
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "seed", arguments.count == 2 {
                for target in FuzzTarget.allCases {
                    let directory = "\(arguments[1])/\(target.rawValue)"
                    try FileIO.createDirectories(directory)
                    for (i, seed) in target.seeds.enumerated() { try FileIO.writeAtomically(seed, to: "\(directory)/seed-\(i)") }
                }
            } else if let name = arguments.first, let target = FuzzTarget(rawValue: name) {
                for path in arguments.dropFirst() {
                    target.run(try FileIO.read(path))
                    print("\(name): \(path): ok")
                }
            } else {
                print(
                    "usage: mnist-mpi-fuzz seed DIR | mnist-mpi-fuzz (\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))) FILE..."
                )
                exit(64)
            }
        #endif
    }
}

#if FUZZING
    /// libFuzzer's driver, for a program with a main of its own.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    extension FuzzTarget {
        static let fromEnvironment: FuzzTarget = {
            guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
                fatalError("set FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
            }
            return target
        }()
    }
#endif
