import Foundation
import TestSupport
import Testing

/// The documents against what they describe, so that they cannot drift: the README's flag
/// table against `train --help`, and every script path the documents show against the tree.
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
}
