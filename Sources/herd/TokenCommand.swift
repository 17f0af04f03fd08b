import Config
import Console
import Glibc

/// `herd token`: writes a new cluster token.
enum TokenCommand {
    static let commands: [Subcommand] = [
        Subcommand(["token"], spec: CommandSpec(
            name: "herd token",
            abstract: "Write a new random cluster token to a file (mode 0600).",
            discussion: """
                Every coordinator and worker of one cluster must hold the same token: it proves
                membership (neither side sends it) and keys the encryption of every frame after the
                handshake. This command takes 32 bytes from the system's secure random generator
                (/dev/urandom), writes them as 64 hexadecimal digits and a newline to --output, with
                permissions 0600 (only you can read it), and prints where it went, never the token.

                Copy the file to every machine of the cluster over a channel you trust (scp, a USB
                stick) and point `cluster.token_file` in cluster.yaml, or --token-file, at it. The
                HERD_TOKEN environment variable is read when the file does not exist.

                An existing file is kept unless --force is given: replacing the token locks out
                every machine that still holds the old one. Hand-made tokens are accepted only when
                they look random enough (at least 64 bits by a character-frequency estimate);
                repetitive ones such as 16 x "a" are refused with a pointer to this command.
                """,
            options: [
                .value("output", "FILE", help: "Where to write the token.", default: "herd.token"),
                .flag("force", help: "Replace an existing file (machines holding the old token are locked out)."),
            ],
            examples: ["herd token", "herd token --output /etc/herd/herd.token",
                       "herd token --output herd.token --force"])) { args in
            let path = args.string("output", default: "herd.token")
            if access(path, F_OK) == 0 && !args.flag("force") {
                throw TokenFileExists(path: path)
            }
            let token = try ClusterToken.generate()
            try token.write(to: path)
            print("wrote a new cluster token (64 hex digits, mode 0600) to \(path); "
                  + "copy it to every machine of the cluster and set cluster.token_file (or --token-file) to it")
        },
    ]
}

/// `herd token` would replace an existing token file.
struct TokenFileExists: Error, CustomStringConvertible {
    let path: String
    var description: String {
        "\(path) already exists; keep it (every machine of the cluster must hold the same token) or replace it with --force"
    }
}
