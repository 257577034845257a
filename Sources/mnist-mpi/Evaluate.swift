import ArgumentParser
import MNISTMPI

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test loss and accuracy of a saved model, its confusion matrix and per-class precision/recall.",
        discussion: "Under mpirun, rank 0 evaluates and the other ranks wait for it (the test set takes well under a second).")

    @OptionGroup var options: ModelOptions

    @Option(help: ArgumentHelp("Evaluate on this split.", valueName: "split"))
    var split: SplitName = .test

    @Option(help: ArgumentHelp("Write the confusion matrix as an SVG picture.", valueName: "file.svg"))
    var plot: String?

    func validate() throws { try options.refuseUncomputable() }

    func run() throws {
        try runOnRankZero {
            let (parameters, architecture, spec, _, precision) = try options.load()
            let data = split.of(try options.loadData(spec))
            let evaluation = Console.evaluate(
                parameters, architecture, on: data, label: split == .test ? "Test" : "Train", precision: options.computable(precision))
            print("")
            print(Report.confusionMatrix(evaluation.confusion, classNames: spec.classNames))
            print("")
            print(Report.perClass(evaluation.confusion, classNames: spec.classNames))
            if let plot {
                let svg = SVGPlot.confusionMatrix(
                    evaluation.confusion, classNames: spec.classNames,
                    title: "\(spec.name) \(split.rawValue) set: accuracy \(format4(evaluation.accuracy))")
                try FileIO.writeAtomically(Array(svg.utf8), to: plot)
                print("\nWrote the confusion matrix to \(plot)")
            }
        }
    }
}
