#if canImport(Glibc)
    import Glibc
#endif

/// A dataset in MNIST's layout: four IDX files, 28x28 uint8 images, labels 0...9.
public struct DatasetSpec: Sendable {
    public let name: String
    public let classNames: [String]
    /// IDX file names (without `.gz`) in the order train images, train labels, test images, test labels.
    public let files: [String]
    /// Official SHA-256 of each decompressed file, keyed by file name. Empty: not verified.
    public let sha256: [String: String]
    /// Where the files are unless the user says otherwise.
    public let defaultDirectory: String

    public init(
        name: String, classNames: [String], files: [String], sha256: [String: String],
        defaultDirectory: String = "data"
    ) {
        self.name = name
        self.classNames = classNames
        self.files = files
        self.sha256 = sha256
        self.defaultDirectory = defaultDirectory
    }

    /// The datasets known by name.
    public static let known = [mnist, fashionMNIST]

    public static func named(_ name: String) -> DatasetSpec? { known.first { $0.name == name } }

    static let standardFiles = [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ]

    /// LeCun, Cortes and Burges' handwritten digits; checksums also in `data/SHA256SUMS`.
    public static let mnist = DatasetSpec(
        name: "mnist",
        classNames: (0...9).map(String.init),
        files: standardFiles,
        sha256: [
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ])

    /// Zalando's Fashion-MNIST, as Debian's `dataset-fashion-mnist` installs it. The checksums
    /// are those of the decompressed files of that package (version 0.0~git20200523).
    public static let fashionMNIST = DatasetSpec(
        name: "fashion-mnist",
        classNames: [
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ],
        files: standardFiles,
        sha256: [
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ],
        defaultDirectory: "/usr/share/datasets/fashion-mnist")
}

/// Why the data on disk is not the dataset it claims to be.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// Neither `file` nor `file.gz` is in `directory`.
    case missing(file: String, directory: String)
    /// The directory the files should be in does not exist.
    case noDirectory(String)
    /// The path given as the data directory is a file.
    case notADirectory(String)
    case checksumMismatch(file: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .missing(file, directory): return "\(directory)/\(file)(.gz): no such file"
        case let .noDirectory(path): return "\(path): data directory does not exist"
        case let .notADirectory(path): return "\(path): not a directory"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): SHA-256 \(actual) is not the official \(expected); the file is corrupt or not this dataset"
        }
    }
}

/// One split (train or test): `count` images of `imageSize` bytes and their labels.
public struct Split: Sendable {
    public static let imageSize = 28 * 28
    public let images: ImageBytes
    public let labels: [UInt8]
    public var count: Int { labels.count }

    public init(images: ImageBytes, labels: [UInt8]) {
        precondition(images.count == labels.count * Split.imageSize)
        self.images = images
        self.labels = labels
    }

    public init(images: [UInt8], labels: [UInt8]) { self.init(images: ImageBytes(images), labels: labels) }

    /// Sample `index` as a 28x28 image.
    public func image(_ index: Int) -> GrayImage {
        GrayImage(width: 28, height: 28, pixels: Array(images[(index * Split.imageSize)..<((index + 1) * Split.imageSize)]))
    }

    /// Checks parsed IDX arrays for shape, matching counts and labels within `classes`.
    /// - Parameter pixels: the images' pixels, when they are not `images.bytes`.
    public static func validated(
        images: IDXArray, labels: IDXArray, classes: Int,
        names: (images: String, labels: String), split: String, pixels: ImageBytes? = nil
    ) throws -> Split {
        guard images.shape.count == 3, images.shape[1] == 28, images.shape[2] == 28 else {
            throw IDXError.unexpectedShape(file: names.images, found: images.shape, expected: "[N, 28, 28]")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw IDXError.countMismatch(images: images.shape[0], labels: labels.shape[0], split: split)
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw IDXError.labelOutOfRange(file: names.labels, index: bad, value: labels.bytes[bad], classes: classes)
        }
        return Split(images: pixels ?? ImageBytes(images.bytes), labels: labels.bytes)
    }
}

/// Train and test splits in memory as uint8, as they come from the files.
public struct Dataset: Sendable {
    public let train: Split
    public let test: Split

    public init(train: Split, test: Split) {
        self.train = train
        self.test = test
    }

    /// Reads, inflates (when gzip), checks and checksums the four files of `spec` in `directory`.
    /// - Parameter holdTrainImages: memory for the whole training-images file (inflated), which
    ///   the file is read straight into, header included; nil: an array of this process.
    public static func load(
        _ spec: DatasetSpec, from directory: String, holdTrainImages: ((Int) throws -> HeldBytes)? = nil
    ) throws -> Dataset {
        if FileIO.exists(directory), !FileIO.isDirectory(directory) {
            throw DatasetError.notADirectory(directory)
        }
        var arrays: [IDXArray] = []
        var trainImages: ImageBytes?
        for (i, file) in spec.files.enumerated() {
            var bytes = try readEither(file, in: directory)
            let dimensions = i % 2 == 0 ? 3 : 1
            let gzip = Gzip.isGzip(bytes)
            if i == 0, let holdTrainImages {
                let held = try holdTrainImages(gzip ? try Gzip.declaredSize(bytes, name: file + ".gz") : bytes.count)
                if gzip {
                    try Gzip.inflate(bytes, name: file + ".gz", into: held.bytes)
                } else {
                    bytes.withUnsafeBytes { held.bytes.copyMemory(from: $0) }
                }
                let shape = try checked(UnsafeRawBufferPointer(held.bytes), file: file, dimensions: dimensions, spec: spec)
                trainImages = ImageBytes(held, offset: IDX.headerSize(dimensions))
                arrays.append(IDXArray(shape: shape, bytes: []))
                continue
            }
            if gzip { bytes = try Gzip.inflate(bytes, name: file + ".gz") }
            _ = try checked(bytes, file: file, dimensions: dimensions, spec: spec)
            arrays.append(try IDX.parse(consume bytes, dimensions: dimensions, name: file))
        }
        let classes = spec.classNames.count
        let train = try Split.validated(
            images: arrays[0], labels: arrays[1], classes: classes,
            names: (spec.files[0], spec.files[1]), split: "training", pixels: trainImages)
        let test = try Split.validated(
            images: arrays[2], labels: arrays[3], classes: classes,
            names: (spec.files[2], spec.files[3]), split: "test")
        return Dataset(train: train, test: test)
    }

    /// Checks an inflated file's structure (its messages say more than a checksum can), then
    /// its checksum; returns its shape.
    private static func checked(
        _ bytes: some RandomAccessCollection<UInt8>, file: String, dimensions: Int, spec: DatasetSpec
    ) throws -> [Int] {
        let shape = try IDX.validatedShape(bytes, dimensions: dimensions, name: file)
        if let expected = spec.sha256[file] {
            let actual = bytes.withContiguousStorageIfAvailable { sha256Hex(UnsafeRawBufferPointer($0)) }!
            guard actual == expected else {
                throw DatasetError.checksumMismatch(file: file, expected: expected, actual: actual)
            }
        }
        return shape
    }

    /// `name.gz` if present, else `name`.
    private static func readEither(_ name: String, in directory: String) throws -> [UInt8] {
        for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"] where FileIO.exists(candidate) {
            return try FileIO.read(candidate)
        }
        // Distinguish a missing file from a directory we may not read.
        if !FileIO.exists(directory) {
            throw DatasetError.noDirectory(directory)
        }
        throw DatasetError.missing(file: name, directory: directory)
    }
}
