import Config

extension ClusterToken {
    /// The HMAC key: the token's bytes. Never sent anywhere.
    var keyBytes: [UInt8] { Array(value.utf8) }
}
