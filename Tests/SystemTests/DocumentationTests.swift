import Foundation
import TestSupport
import Testing

/// The documents against what they describe, so that they cannot drift: the README's flag
/// table against `train --help`, every script path the documents show against the tree, every
/// flag they show after `mnist-mpi` or a script against its `--help` or the script, and no
/// test-only switch in a user's document.
@Suite struct DocumentationTests {
    static let documents =
        ["README.md", "hostfile.example"] + ["design.md", "interop.md", "operating.md", "performance.md"].map { "docs/\($0)" }

    @Test func theReadmeFlagTableIsTrainsFlags() throws {
        let help = try Fixtures.run(Fixtures.releaseBinary, ["train", "--help"])
        #expect(help.status == 0)
        // Option lines start with two spaces, then the flag (or "-h, --help").
        let offered = Set(help.stdout.matches(of: /(?m)^  (?:-[a-z], )?--([a-z0-9-]+)/).map { String($0.1) }).subtracting(["help"])
        let readme = Fixtures.text("\(Fixtures.repo)/README.md")
        let table = readme[readme.range(of: "## Flags")!.upperBound...]
        let documented = Set(table.matches(of: /(?m)^\| `--([a-z0-9-]+)/).map { String($0.1) })
        #expect(offered.count > 20)
        let missing = (help: offered.subtracting(documented), readme: documented.subtracting(offered))
        #expect(offered == documented, "in --help only: \(missing.help); in the README only: \(missing.readme)")
    }

    @Test func everyScriptTheDocumentsShowExists() {
        for document in Self.documents {
            let text = Fixtures.text("\(Fixtures.repo)/\(document)")
            for match in text.matches(of: /scripts\/[A-Za-z0-9_.\/-]*[A-Za-z0-9_]/) {
                #expect(FileManager.default.fileExists(atPath: "\(Fixtures.repo)/\(match.0)"), "\(document) names \(match.0)")
            }
        }
    }

    /// Every `--flag` shown in a command (a code block's line or an inline code span) after
    /// `mnist-mpi [subcommand]` is one that subcommand's `--help` lists; after a script, one the
    /// script names or passes on to mnist-mpi. Other tools' flags (mpirun's, sbatch's) are
    /// theirs to check.
    @Test func everyFlagTheDocumentsShowExists() throws {
        let subcommands = ["train", "plan", "evaluate", "predict", "show", "export"]
        var flags: [String: Set<String>] = [:]
        for subcommand in subcommands {
            let help = try Fixtures.run(Fixtures.releaseBinary, [subcommand, "--help"])
            flags[subcommand] = Set(help.stdout.matches(of: /(?m)^  (?:-[a-z], )?(--[a-z0-9-]+)/).map { String($0.1) })
        }
        let anyOfOurs = flags.values.reduce(Set<String>()) { $0.union($1) }
        var checked = 0
        for document in Self.documents {
            var text = Fixtures.text("\(Fixtures.repo)/\(document)")
            var commands: [String] = []
            for block in text.matches(of: /(?s)```[^\n]*\n(.*?)```/) {
                commands += block.1.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map(String.init)
            }
            text.replace(/(?s)```.*?```/, with: "")
            commands += text.matches(of: /`([^`]+)`/).map { $0.1.replacingOccurrences(of: "\n", with: " ") }
            for command in commands {
                // One command at a time: a comment, a pipe or a list ends it.
                for part in command.split(separator: /#|\||&&|;/) {
                    var allowed: Set<String>? = nil
                    var owner = ""
                    let words = part.split(separator: " ").map(String.init)
                    for (index, word) in words.enumerated() {
                        if word.hasSuffix("mnist-mpi") && !word.hasPrefix("-") {
                            let next = index + 1 < words.count ? words[index + 1] : ""
                            owner = "mnist-mpi \(subcommands.contains(next) ? next : "train")"
                            allowed = flags[subcommands.contains(next) ? next : "train"]
                        } else if word.hasPrefix("scripts/"), FileManager.default.isExecutableFile(atPath: "\(Fixtures.repo)/\(word)") {
                            // The script's own flags and those of the scripts it hands over to (bench.sh: bench.py).
                            let script = Fixtures.text("\(Fixtures.repo)/\(word)")
                            let texts =
                                [script]
                                + script.matches(of: /scripts\/[A-Za-z0-9_.\/-]+/).map { Fixtures.text("\(Fixtures.repo)/\($0.0)") }
                            owner = word
                            allowed = anyOfOurs.union(texts.flatMap { $0.matches(of: /--[a-z][a-z0-9-]*/).map { String($0.0) } })
                        } else if let allowed, let flag = word.firstMatch(of: /^"?(--[a-z][a-z0-9-]*)/)?.1 {
                            checked += 1
                            let known = allowed.contains(String(flag))
                            #expect(known, "\(document): \(owner) has no \(flag): `\(command)`")
                        }
                    }
                }
            }
        }
        #expect(checked > 50)
    }

    @Test func noDocumentNamesATestHook() {
        for document in Self.documents {
            #expect(!Fixtures.text("\(Fixtures.repo)/\(document)").contains("MNIST_MPI_TEST_"), "\(document)")
        }
    }
}
