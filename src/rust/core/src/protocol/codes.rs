//! Task exit codes and their texts. The numbering follows the NNG
//! convention that crew users know from result rows: 19 is a crash, 20 a
//! cancellation, 5 a timeout; 0 and -1 are a success and an R error from
//! the worker.

/// The text after `"<code> | "` in a result row's error column.
pub fn text(code: i32) -> &'static str {
    match code {
        1 => "Interrupted",
        2 => "Out of memory",
        3 => "Invalid argument",
        4 => "Resource busy",
        5 => "Timed out",
        6 => "Connection refused",
        7 => "Object closed",
        8 => "Try again",
        9 => "Not supported",
        10 => "Address in use",
        11 => "Incorrect state",
        12 => "Entry not found",
        13 => "Protocol error",
        14 => "Destination unreachable",
        15 => "Address invalid",
        16 => "Permission denied",
        17 => "Message too large",
        18 => "Connection aborted",
        19 => "Connection reset",
        20 => "Operation canceled",
        21 => "Out of files",
        22 => "Out of space",
        23 => "Resource already exists",
        24 => "Read only resource",
        25 => "Write only resource",
        26 => "Cryptographic error",
        27 => "Peer could not be authenticated",
        28 => "Option requires argument",
        29 => "Ambiguous option",
        30 => "Incorrect type",
        31 => "Connection shutdown",
        _ => "Unknown error",
    }
}

/// The status of a result row with this code and no status from a worker.
pub fn status(code: i32) -> &'static str {
    match code {
        0 => "success",
        19 => "crash",
        20 => "cancel",
        _ => "error",
    }
}

/// The error text of a result row with this code and no message from a
/// worker: none for a success or an R error, `"<code> | <text>"` otherwise.
pub fn error(code: i32) -> Option<String> {
    (code != 0 && code != -1).then(|| format!("{code} | {}", text(code)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn texts_follow_the_codes() {
        assert_eq!(super::error(19).as_deref(), Some("19 | Connection reset"));
        assert_eq!(
            super::error(12345).as_deref(),
            Some("12345 | Unknown error")
        );
        assert_eq!(super::error(-1), None);
        assert_eq!(super::status(20), "cancel");
        assert_eq!(super::status(5), "error");
    }
}
