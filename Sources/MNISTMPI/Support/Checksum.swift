import CCrypto

/// Lower-case hex SHA-256 of `bytes`, from the system's OpenSSL (one-shot `EVP_Digest`).
public func sha256Hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes(sha256Hex) }

/// Lower-case hex SHA-256 of the bytes at `input`.
public func sha256Hex(_ input: UnsafeRawBufferPointer) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    let ok = digest.withUnsafeMutableBufferPointer { output in
        EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, EVP_sha256(), nil)
    }
    precondition(ok == 1, "OpenSSL's SHA-256 failed")
    return hex(digest)
}
