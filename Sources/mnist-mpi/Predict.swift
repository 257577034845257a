import ArgumentParser
import MNISTMPI

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Class probabilities and the predicted class of test images or of image files.",
        discussion: """
            Image files may be PNG or PGM of any size. They are converted to what the model saw in \
            training: gray, white ink on black paper (an image with a bright border is taken to be \
            dark ink on light paper and inverted), 28x28 (resampled by area averaging), scaled to [0,1]. \
            Under mpirun, rank 0 predicts and the other ranks wait for it.
            """)

    @OptionGroup var options: ModelOptions

    @Option(
        help: ArgumentHelp(
            "Test images to predict: a list and/or ranges, e.g. 0..9 or 3,7,10..12 (default: 0..9 when no image file is given).",
            valueName: "indices"))
    var index: String?

    @Flag(help: "Print one JSON object per image (full-precision probabilities) instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("PNG or PGM images of a digit.", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        try options.refuseUncomputable()
        if let index { _ = try Predict.indices(index) }
    }

    /// `0..9` (inclusive, as the tutorial's "first 10"), `3,7` and mixes of both.
    static func indices(_ text: String) throws -> [Int] {
        var result: [Int] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "..", omittingEmptySubsequences: false).map { Int($0.trimmed) }
            switch bounds.count {
            case 1 where bounds[0] != nil && bounds[0]! >= 0: result.append(bounds[0]!)
            case 2 where bounds[0] != nil && bounds[1] != nil && 0 <= bounds[0]! && bounds[0]! <= bounds[1]!:
                // No split holds more images than an IDX dimension may: bound before expanding.
                guard bounds[1]! < IDX.dimensionLimit else {
                    throw ValidationError("--index \(bounds[1]!) is out of range: no split holds more than \(IDX.dimensionLimit) images")
                }
                result += Array(bounds[0]!...bounds[1]!)
            default: throw ValidationError("--index wants indices like 0..9 or 3,7,10..12 (got \(text))")
            }
        }
        guard !result.isEmpty else { throw ValidationError("--index wants at least one index") }
        guard result.count <= IDX.dimensionLimit else {
            throw ValidationError("--index names \(result.count) images, more than a split can hold (\(IDX.dimensionLimit))")
        }
        return result
    }

    func run() throws {
        try runOnRankZero {
            let (parameters, architecture, spec, _, policy) = try options.load()
            let precision = options.computable(policy)
            let names = spec.classNames
            if index != nil || images.isEmpty {
                let test = try options.loadData(spec).test
                let wanted = try Predict.indices(index ?? "0..9")
                if let bad = wanted.first(where: { $0 >= test.count }) {
                    throw ValidationError("--index \(bad) is out of range: the test split has \(test.count) images")
                }
                let probabilities = Evaluator.predict(parameters, architecture, on: test, indices: wanted, precision: precision)
                for (i, p) in zip(wanted, probabilities) {
                    report(
                        name: "#\(i)", key: ("index", .integer(i)), probabilities: p, classNames: names,
                        truth: Int(test.labels[i]))
                }
            }
            for path in images {
                let (image, inverted) = try GrayImage.read(path).mnistStyle()
                if !json {
                    print("\(path): \(inverted ? "dark on light, inverted; " : "")as the model sees it:")
                    print(Console.drawing(of: image))
                }
                let split = Split(images: image.pixels, labels: [0])
                let p = Evaluator.predict(parameters, architecture, on: split, indices: [0], precision: precision)[0]
                report(name: path, key: ("file", .string(path)), probabilities: p, classNames: names, truth: nil)
            }
        }
    }

    func report(name: String, key: (String, JSON), probabilities p: [Float], classNames: [String], truth: Int?) {
        let best = argmax(p)
        if json {
            var fields: [(String, JSON)] = [
                key, ("predicted", .integer(best)), ("class", .string(classNames[best])),
                ("probabilities", .array(p.map { .number(Double($0)) })),
            ]
            if let truth { fields.append(("label", .integer(truth))) }
            print(JSON.object(fields).text)
        } else {
            print(Console.prediction(name, probabilities: p, classNames: classNames, truth: truth))
        }
    }
}
