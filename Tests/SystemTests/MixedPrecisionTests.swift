import CKernels
import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

/// `--precision mixed-bfloat16` from the command line: refused, in one line on every rank,
/// where a rank cannot compute it (forced here with `MNIST_MPI_ISA=avx2`, as on a CPU without
/// AVX512_BF16), and where it runs, the tutorial's accuracy and the policy recorded.
@Suite struct MixedPrecisionTests {
    func weights(_ path: String) throws -> [Float] { try ModelFile.load(path, Architecture()).array }

    @Test(arguments: [1, 2])
    func refusedWhereARankLacksAVX512BF16(np: Int) throws {
        let args = ["--data-dir", Fixtures.dataDirectory, "--precision", "mixed-bfloat16", "--max-steps", "3"]
        let out =
            np == 1
            ? try Fixtures.run(Fixtures.releaseBinary, args, environment: ["MNIST_MPI_ISA": "avx2"])
            : try Fixtures.run(
                "/usr/bin/mpirun", ["-np", "\(np)", "--oversubscribe", Fixtures.releaseBinary] + args,
                environment: ["MNIST_MPI_ISA": "avx2"])
        #expect(out.status != 0)
        let errors = out.stderr.split(separator: "\n").filter { $0.hasPrefix("mnist-mpi: error:") }
        #expect(
            errors.count == 1
                && errors[0].hasPrefix(
                    "mnist-mpi: error: --precision mixed-bfloat16 needs AVX512_BF16 on every rank's CPU: \(np) of \(np) rank(s) lack it"),
            "\(out.stderr)")
        #expect(!out.stdout.contains("Epoch 1/"), "nothing trained")
    }

    /// `export --precision` writes the policy into the file on any CPU (it computes nothing);
    /// `evaluate` and `predict` refuse one this CPU cannot compute in.
    @Test func exportNamesAPolicyThatEvaluateRefusesWhereItCannotRun() throws {
        let dir = Fixtures.temporaryDirectory()
        let trained = try Fixtures.run(
            Fixtures.releaseBinary, ["--data-dir", Fixtures.dataDirectory, "--max-steps", "5", "--save", "\(dir)/m.safetensors"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let avx2 = ["MNIST_MPI_ISA": "avx2"]
        let export = try Fixtures.run(
            Fixtures.releaseBinary,
            ["export", "--model", "\(dir)/m.safetensors", "--precision", "mixed-bfloat16", "--output", "\(dir)/m.keras"],
            environment: avx2)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try ModelFile.read("\(dir)/m.keras").precision == .mixedBFloat16)
        for command in ["evaluate", "predict"] {
            let refused = try Fixtures.run(
                Fixtures.releaseBinary,
                [command, "--model", "\(dir)/m.keras", "--precision", "mixed-bfloat16", "--data-dir", Fixtures.dataDirectory],
                environment: avx2)
            #expect(
                refused.status == 64 && refused.stderr.contains("--precision mixed-bfloat16 needs AVX512_BF16"),
                "\(command): \(refused.stderr)")
        }
    }

    /// `plan --precision` measures the compute in that policy, and refuses it where it cannot
    /// run, as `train` does.
    @Test func planMeasuresInThePolicy() throws {
        let args = ["plan", "--precision", "mixed-bfloat16", "--link-gbps", "10", "--link-latency-us", "25"]
        let refused = try Fixtures.run(Fixtures.releaseBinary, args, environment: ["MNIST_MPI_ISA": "avx2"])
        #expect(refused.status == 64 && refused.stderr.contains("--precision mixed-bfloat16 needs AVX512_BF16"), "\(refused.stderr)")
        if bf16_products_supported() != 0 {
            let planned = try Fixtures.run(Fixtures.releaseBinary, args)
            #expect(planned.status == 0 && planned.stdout.contains("speedup over one host"), "\(planned.stdout)\(planned.stderr)")
        }
    }

    /// A costs file names the policy its compute was measured in; `train --costs` in the other
    /// one stops on every rank with one line saying so, before any step.
    @Test func costsRecordThePolicyTheyWereMeasuredIn() throws {
        let dir = Fixtures.temporaryDirectory()
        let saved = try Fixtures.run(
            Fixtures.releaseBinary, ["plan", "--link-gbps", "10", "--link-latency-us", "25", "--save-costs", "\(dir)/f32.json"])
        #expect(saved.status == 0, "\(saved.stderr)")
        let text = Fixtures.text("\(dir)/f32.json")
        #expect(try JSON.parse(Array(text.utf8))["precision"]?.string == "float32")
        // The same costs, as if `plan --precision mixed-bfloat16` had measured them.
        let mixed = text.replacingOccurrences(of: "\"precision\":\"float32\"", with: "\"precision\":\"mixed-bfloat16\"")
        #expect(mixed != text)
        try mixed.write(toFile: "\(dir)/mixed.json", atomically: true, encoding: .utf8)
        let args = ["--data-dir", Fixtures.dataDirectory, "--max-steps", "2", "--costs", "\(dir)/mixed.json"]
        for np in [0, 2] {
            let out = np == 0 ? try Fixtures.run(Fixtures.releaseBinary, args) : try Fixtures.mpirun(np, args)
            let lines = out.stderr.split(separator: "\n").filter { $0.contains("mnist-mpi: error:") }
            #expect(out.status != 0 && !out.stdout.contains("Epoch 1/"), "np \(np): \(out.stdout)")
            #expect(
                lines == [
                    "mnist-mpi: error: \(dir)/mixed.json: its compute was measured in mixed-bfloat16 and this run computes in float32; measure again with plan --precision float32 --save-costs"
                ],
                "np \(np): \(out.stderr)")
        }
    }

    /// Five epochs at np 2 reach the tutorial's accuracy, within 0.3 points of float32's; the
    /// history and the checkpoints record the policy, and a float32 run resumes the checkpoint.
    @Test(.enabled(if: bf16_products_supported() != 0, "the CPU lacks AVX512_BF16"))
    func fiveEpochsMatchFloat32() throws {
        let dir = Fixtures.temporaryDirectory()
        func train(_ precision: String, _ extra: [String] = []) throws -> [String: Any] {
            let out = try Fixtures.mpirun(
                2,
                ["--data-dir", Fixtures.dataDirectory, "--precision", precision, "--history", "\(dir)/\(precision).json"] + extra)
            #expect(out.status == 0, "\(out.stderr)")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(precision).json")))
                as! [String: Any]
        }
        let mixed = try train("mixed-bfloat16", ["--checkpoint-dir", "\(dir)/ck"])
        let single = try train("float32")
        let (a, b) = (try #require(mixed["test_accuracy"] as? Double), try #require(single["test_accuracy"] as? Double))
        #expect(a >= 0.977 && abs(a - b) <= 0.003, "mixed-bfloat16 \(a), float32 \(b)")
        #expect(mixed["precision"] as? String == "mixed-bfloat16" && single["precision"] as? String == "float32")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ck").filter { $0.hasSuffix(".safetensors") }
        let headers = try checkpoints.map {
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/ck/\($0)")).prefix(4096), as: UTF8.self)
        }
        #expect(!headers.isEmpty && headers.allSatisfy { $0.contains(#""setting.precision":"mixed-bfloat16""#) })
        let resumed = try Fixtures.mpirun(
            2, ["--data-dir", Fixtures.dataDirectory, "--checkpoint-dir", "\(dir)/ck", "--resume", "--epochs", "6", "--max-steps", "2350"])
        #expect(resumed.status == 0 && resumed.stdout.contains("Epoch 6/6"), "\(resumed.stdout)\(resumed.stderr)")
    }

    /// Every launch mode and strategy trains in it; with `--deterministic` the weights are the
    /// very bytes of one process at np 1, 2 and 4 (the bfloat16 product of a row, and of a pair
    /// of samples, does not depend on the rows beside it).
    @Test(.enabled(if: bf16_products_supported() != 0, "the CPU lacks AVX512_BF16"))
    func everyLaunchModeAndDeterministicBitwise() throws {
        let dir = Fixtures.temporaryDirectory()
        let args = ["--data-dir", Fixtures.dataDirectory, "--precision", "mixed-bfloat16", "--max-steps", "30"]
        func accuracy(_ out: Fixtures.Output) -> Double? {
            out.stdout.components(separatedBy: "Test accuracy: ").last.flatMap { Double($0.prefix(6)) }
        }
        let single = try Fixtures.run(Fixtures.releaseBinary, args + ["--deterministic", "--save", "\(dir)/single.safetensors"])
        #expect(single.status == 0, "\(single.stderr)")
        for np in [1, 2, 4] {
            let out = try Fixtures.mpirun(np, args + ["--deterministic", "--save", "\(dir)/np\(np).safetensors"])
            #expect(out.status == 0, "\(out.stderr)")
            let (these, one) = (try weights("\(dir)/np\(np).safetensors"), try weights("\(dir)/single.safetensors"))
            #expect(differing(these.map(\.bitPattern), one.map(\.bitPattern)) == 0, "np \(np): the weights' bits")
        }
        // Two shards sum in one order everywhere: the pairs of W1 that the node's ranks pack as
        // they step it (a single process, np 2's shared memory) are those each rank packs for
        // its own forward (allreduce).
        let pairs = [("threads", 0, [String]()), ("shared", 2, []), ("allreduce", 2, ["--reduction", "allreduce"])]
        for (name, np, extra) in pairs {
            let save = args + extra + ["--save", "\(dir)/\(name).safetensors"]
            let out = np == 0 ? try Fixtures.run(Fixtures.releaseBinary, save) : try Fixtures.mpirun(np, save)
            #expect(out.status == 0, "\(out.stderr)")
        }
        let packedByEachRank = try weights("\(dir)/allreduce.safetensors").map(\.bitPattern)
        for name in ["threads", "shared"] {
            #expect(differing(try weights("\(dir)/\(name).safetensors").map(\.bitPattern), packedByEachRank) == 0, "\(name)")
        }
        let reference = try #require(accuracy(single))
        for (np, extra) in [
            (0, ["--threads", "2"]), (3, []), (4, ["--reduction", "sharded"]), (2, ["--reduction", "factored"]),
            (2, ["--reduction", "allreduce"]),
        ] {
            let out = np == 0 ? try Fixtures.run(Fixtures.releaseBinary, args + extra) : try Fixtures.mpirun(np, args + extra)
            #expect(
                out.status == 0 && abs((accuracy(out) ?? 0) - reference) < 0.01, "np \(np) \(extra): \(out.stdout.suffix(200))\(out.stderr)"
            )
        }
    }
}
