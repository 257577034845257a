import ArgumentParser
import MNISTMPI

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one digit of the dataset in the terminal and write it as a PNG (or PGM) image.")

    @Option(help: "Index of the image in its split.")
    var index: Int

    @Option(help: ArgumentHelp("Take the image from this split.", valueName: "split"))
    var split: SplitName = .train

    @Option(help: ArgumentHelp("The dataset: mnist or fashion-mnist.", valueName: "name"))
    var dataset = "mnist"

    @Option(help: ArgumentHelp("Directory with the four IDX files (default: the dataset's usual place).", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Image file to write, PNG or (ending in .pgm) PGM (default: <dataset>-<split>-<index>.png).", valueName: "file"))
    var output: String?

    func validate() throws {
        _ = try datasetSpec(named: dataset)
        guard index >= 0 else { throw ValidationError("--index must be 0 or more (got \(index))") }
    }

    func run() throws {
        try onRankZero {
            let spec = try datasetSpec(named: dataset)
            let data = split.of(try Dataset.load(spec, from: dataDir ?? spec.defaultDirectory))
            guard index < data.count else {
                throw ValidationError("--index \(index) is out of range: the \(split.rawValue) split has \(data.count) images")
            }
            let image = data.image(index)
            print("\(spec.name) \(split.rawValue) image #\(index), label \(spec.classNames[Int(data.labels[index])]):")
            print(Console.drawing(of: image))
            let path = output ?? "\(spec.name)-\(split.rawValue)-\(index).png"
            try FileIO.writeAtomically(path.hasSuffix(".pgm") ? PGM.encode(image) : PNG.encode(image), to: path)
            print("Wrote \(path)")
        }
    }
}
