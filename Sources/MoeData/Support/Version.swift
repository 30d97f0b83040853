import CSQLite
import CZlib
import CZstd

/// Versions recorded with every run, so an output says what made it.
public enum MoeDataVersion {
    public static let version = "0.1.0"

    public static var libraries: String {
        "zstd \(String(cString: ZSTD_versionString())); sqlite \(String(cString: sqlite3_libversion())); zlib "
            + "\(String(cString: zlibVersion()))"
    }
}
