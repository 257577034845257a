import ArgumentParser
import MNISTMPI

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one digit of the dataset in the terminal and write it as a PNG (or PGM) image.")

    @Option(help: "Index of the image in its split.")
    var index: Int

    @Option(help: ArgumentHelp("Take the image from this split.", valueName: "split"))
    var split: SplitName = .train

    @OptionGroup var data: DataOptions

    @Option(
        help: ArgumentHelp("Image file to write, PNG or (ending in .pgm) PGM (default: <dataset>-<split>-<index>.png).", valueName: "file"))
    var output: String?

    func validate() throws {
        guard index >= 0 else { throw ValidationError("--index must be 0 or more (got \(index))") }
    }

    func run() throws {
        try runOnRankZero {
            let spec = data.spec()
            let images = split.of(try data.load(spec))
            guard index < images.count else {
                throw ValidationError("--index \(index) is out of range: the \(split.rawValue) split has \(images.count) images")
            }
            let image = images.image(index)
            print("\(spec.name) \(split.rawValue) image #\(index), label \(spec.classNames[Int(images.labels[index])]):")
            print(Console.drawing(of: image))
            let path = output ?? "\(spec.name)-\(split.rawValue)-\(index).png"
            try FileIO.writeAtomically(path.hasSuffix(".pgm") ? PGM.encode(image) : PNG.encode(image), to: path)
            print("Wrote \(path)")
        }
    }
}
