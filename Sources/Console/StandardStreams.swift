@preconcurrency import Glibc

/// C's `stdout`, read once here: Glibc exposes it as a mutable global.
func standardOutputStream() -> UnsafeMutablePointer<FILE>? { stdout }
