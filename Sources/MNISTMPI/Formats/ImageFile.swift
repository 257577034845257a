extension GrayImage {
    /// Reads a PNG or PGM file, chosen by its first bytes.
    public static func read(_ path: String) throws -> GrayImage {
        let bytes = try FileIO.read(path)
        if bytes.starts(with: PNG.signature) { return try PNG.decode(bytes, name: path) }
        if bytes.starts(with: Array("P5".utf8)) || bytes.starts(with: Array("P2".utf8)) {
            return try PGM.decode(bytes, name: path)
        }
        throw FileError(file: path, reason: "not a PNG or PGM image")
    }
}
